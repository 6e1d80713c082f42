"""The list of tasks' filters (core.listing says what the table drives). No default date
window: a task list is every task unless from_date/to_date (IST days on the due time) narrow
it. Sorted by due time, then id. Visibility: tasks.rules.visible_tasks."""

import django_filters
from django.db.models import Q
from django.utils import timezone

from core.listing import (
    ANY,
    AnyChoiceField,
    AnyEmailFilter,
    Condition,
    DateWindowFilterSet,
    IdFilter,
    window_filter,
)

from .models import Task
from .rules import TaskStatus, status_condition


class StatusFilter(Condition, django_filters.ChoiceFilter):
    """open (overdue included), done, or overdue (open and due in the past); `all` for every
    task, as the other lists' choices take it."""

    field_class = AnyChoiceField

    def orm_condition(self, value) -> Q:
        return status_condition(value, timezone.now())


class TaskFilter(DateWindowFilterSet):
    date_field = "due_at"
    default_window = False
    DEFAULT_SORT = "due_at"
    SORTS = {"due_at": ("due_at", "id")}

    from_date = window_filter("Due on or after this IST day (YYYY-MM-DD).")
    to_date = window_filter("Due on or before this IST day (YYYY-MM-DD), inclusive.")
    assigned_to = AnyEmailFilter(
        field_name="assigned_to__email",
        max_length=254,
        help_text="Assigned user's email, any case (or `all`).",
    )
    lead_id = IdFilter(field_name="lead_id", help_text="Only tasks on this lead (its id).")
    status = StatusFilter(
        choices=[*TaskStatus.choices, (ANY, "Any")],
        help_text="`open` (overdue included), `done`, or `overdue` (open and due in the past); "
        "or `all`.",
        error_messages={"invalid_choice": "Unknown status “%(value)s”; use open, done or overdue."},
    )

    class Meta(DateWindowFilterSet.Meta):
        model = Task
        fields = ["from_date", "to_date", "assigned_to", "lead_id", "status"]
