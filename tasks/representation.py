"""A task as API v1 shows it: list, detail and the event stream use this one function."""

from typing import Any

from core.dates import iso_utc

from .models import Task

API_FIELDS = (
    "id", "lead_id", "kind", "title", "due_at", "notes", "assigned_to", "done", "done_at",
    "done_by", "created_at", "updated_at",
)  # fmt: skip


def task_to_api(task: Task) -> dict[str, Any]:
    """(Reads `assigned_to` and `done_by`: select them with the task.)"""
    return {
        "id": str(task.id),
        "lead_id": str(task.lead_id),
        "kind": task.kind,
        "title": task.title,
        "due_at": iso_utc(task.due_at),
        "notes": task.notes,
        "assigned_to": task.assigned_to.email if task.assigned_to_id else None,
        "done": task.done_at is not None,
        "done_at": iso_utc(task.done_at),
        "done_by": task.done_by.email if task.done_by_id else None,
        "created_at": iso_utc(task.created_at),
        "updated_at": iso_utc(task.updated_at),
    }
