"""Task business rules: add, edit, complete and delete follow-ups, and the call-back rule's two
moves (open a call-back after a missed call, close it after a completed one). The API, the
pages, the admin and the call services all call these; each change is one event in its own
transaction."""

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import Conflict, Forbidden, InvalidFields, NotFound
from core.locking import joined_rows_current, lock_rows
from events.models import Verb
from events.services import Actor, diff, plain, record_event, record_events
from leads.models import Lead
from leads.services import locked_visible_lead

from .models import Task
from .representation import task_to_api
from .rules import CALL_BACK_TITLE, TaskKind, call_back_due, clean_task_fields
from .selectors import open_call_back_ids

# What an event compares before and after a change (the API's names).
TRACKED = ("title", "due_at", "notes", "assigned_to", "done", "done_at", "done_by")
REP_ASSIGNS_ONLY_THEMSELVES = "Sales reps can assign tasks only to themselves."
ANOTHER_OPEN_CALL_BACK = "This lead has another open call-back; complete that one instead."


@dataclass(frozen=True)
class TaskChange:
    """A task after an edit, and what changed: {field: [previous, new]} (empty: nothing did)."""

    task: Task
    changes: dict[str, list]


def task_create(*, actor: Actor, lead_id: uuid.UUID, fields: dict[str, Any]) -> Task:
    """A follow-up on a lead the actor can see. `fields`: title and due_at (required), notes,
    assigned_to (default: the lead's assignee, else the actor)."""
    fields = clean_task_fields(fields)
    missing = [name for name in ("title", "due_at") if name not in fields]
    if missing:
        raise InvalidFields({name: "This field is required." for name in missing})
    fields.pop("done", None)
    with transaction.atomic():
        lead = locked_visible_lead(actor, lead_id, with_assignee=True)
        assignee = fields.pop("assigned_to", None) or lead.assigned_to or actor.user
        _check_assignee(actor, assignee)
        return _create(actor, lead, assignee, kind=TaskKind.FOLLOW_UP, **fields)


def task_update(*, actor: Actor, task: Task, fields: dict[str, Any]) -> TaskChange:
    """Edit a task the actor can see: the fields sent change. `done` true completes it (by the
    actor, now), false reopens it."""
    fields = clean_task_fields(fields)
    with transaction.atomic():
        task = _locked(actor, task.pk)
        if "assigned_to" in fields:
            _check_assignee(actor, fields["assigned_to"])
        done = fields.pop("done", None)
        if done is False and task.done_at is not None and task.kind == TaskKind.CALL_BACK:
            _check_no_other_open_call_back(task)
        before = _tracked(task)
        for name, value in fields.items():
            setattr(task, name, value)
        if done is True and task.done_at is None:
            task.done_at, task.done_by = timezone.now(), actor.user
        elif done is False:
            task.done_at, task.done_by = None, None
        if not (done is False and task.kind == TaskKind.CALL_BACK):
            return _save_changes(actor, task, before)
        try:
            # A savepoint: another call-back of the lead reopened at the same moment passed
            # the same check; the database's one-open-call-back rule settles it.
            with transaction.atomic():
                return _save_changes(actor, task, before)
        except IntegrityError:
            _check_no_other_open_call_back(task)  # (now that the other has committed: a 409)
            raise


def task_delete(*, actor: Actor, task: Task) -> None:
    with transaction.atomic():
        task = _locked(actor, task.pk)
        record_event(
            actor=actor,
            verb=Verb.TASK_DELETED,
            subject=task,
            lead_id=task.lead_id,
            snapshot=task_to_api(task),
        )
        task.delete()


def call_back_open(
    *, actor: Actor, lead: Lead, logged_at: dt.datetime, call_id: uuid.UUID
) -> Task | None:
    """After a missed inbound call (calls.rules.CALL_BACK_WANTED): a "Call back" task for the
    lead's assignee (else, or if they are no longer active, whoever logged the call), due
    CALLBACK_TASK_MINUTES after the call was logged, unless the lead has an open call-back
    already. Runs inside the call's transaction, with the lead locked."""
    if Task.objects.open().filter(lead=lead, kind=TaskKind.CALL_BACK).exists():
        return None
    user = actor.user
    if lead.assigned_to_id is None or (user is not None and lead.assigned_to_id == user.pk):
        assignee = user  # (no need to read the assignee: it is the actor)
    else:
        assignee = lead.assigned_to if lead.assigned_to.is_active else user
    if assignee is None:
        return None  # (the system logging a call for an unassigned lead: nobody to call back)
    try:
        # A savepoint: a call-back made meanwhile by another transaction (the database's
        # one-open-call-back rule) must not undo the call being logged.
        with transaction.atomic():
            return _create(
                actor,
                lead,
                assignee,
                kind=TaskKind.CALL_BACK,
                title=CALL_BACK_TITLE,
                due_at=call_back_due(logged_at),
                at=logged_at,
                call_id=call_id,
            )
    except IntegrityError:
        return None


def call_back_close(
    *, actor: Actor, lead: Lead, called_at: dt.datetime, call_id: uuid.UUID | None = None
) -> int:
    """The lead's open call-back is done, by whoever logged the call: after a completed
    outbound call made since it was opened (calls.rules.CALL_BACK_DONE; a call logged
    afterwards with an earlier time is not the call back), or when the missed call that opened
    it (`call_id`) turns out to have been answered. Returns how many were closed."""
    # Most completed calls close nothing: a plain read of ids says so (a fifth of the CPU of
    # the locking read with its joins, on every logged call). The lead is locked by the caller,
    # so no call-back of its can open meanwhile; one closed meanwhile drops out under the lock.
    if call_id is not None:
        found = open_call_back_ids(lead.pk, call_id=call_id)
    else:
        found = open_call_back_ids(lead.pk, opened_by=called_at)
    if not found:
        return 0
    tasks = [
        joined_rows_current(task)
        for task in Task.objects.open()
        .filter(pk__in=found)
        .select_related("assigned_to", "done_by")
        .select_for_update(of=("self",))
    ]
    now = timezone.now()
    for task in tasks:
        before = _tracked(task)
        task.done_at, task.done_by = now, actor.user
        _save_changes(actor, task, before)
    return len(tasks)


def _create(actor: Actor, lead: Lead, assignee, at: dt.datetime | None = None, **fields) -> Task:
    now = at or timezone.now()
    task = Task.objects.create(
        lead=lead,
        assigned_to=assignee,
        created_by=actor.user,
        created_at=now,
        updated_at=now,
        **fields,
    )
    snapshot = task_to_api(task)
    record_event(
        actor=actor,
        verb=Verb.TASK_CREATED,
        subject=task,
        changes=diff({}, {name: snapshot[name] for name in ("kind", *TRACKED)}),
        lead_id=lead.pk,
        snapshot=snapshot,
    )
    return task


def _save_changes(actor: Actor, task: Task, before: dict) -> TaskChange:
    changes = diff(before, _tracked(task))
    if changes:
        previous, task.updated_at = task.updated_at, timezone.now()
        changes["updated_at"] = [plain(previous), plain(task.updated_at)]
        task.save()
        record_event(
            actor=actor,
            verb=Verb.TASK_UPDATED,
            subject=task,
            changes=changes,
            lead_id=task.lead_id,
            snapshot=task_to_api(task),
        )
    return TaskChange(task, changes)


def _check_no_other_open_call_back(task: Task) -> None:
    """A lead has one open call-back at most (a database rule): reopening one while another is
    open is refused, never a 500."""
    others = Task.objects.open().filter(lead_id=task.lead_id, kind=TaskKind.CALL_BACK)
    if others.exclude(pk=task.pk).exists():
        raise Conflict(ANOTHER_OPEN_CALL_BACK, "done")


def tasks_follow_lead(sender, *, events, actor, **kwargs) -> None:
    """events_recorded receiver: when a lead changes hands, its open tasks assigned to the
    previous assignee go to the new one (who can see the lead; the previous one no longer can),
    each with its task.updated event by the same actor, in the same transaction."""
    handed = {}
    for event in events:
        if event.subject_type != "lead" or "assigned_to" not in event.changes:
            continue
        previous, new = event.changes["assigned_to"]
        if previous and new and previous != new:
            handed[event.lead_id] = (previous, new)
    if not handed:
        return
    emails = {email for pair in handed.values() for email in pair}
    users = {user.email: user for user in get_user_model().objects.filter(email__in=emails)}
    tasks = (
        Task.objects.open()
        .filter(lead_id__in=list(handed))
        .select_related("assigned_to", "done_by")
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    moved, changes = [], []
    now = timezone.now()
    for task in map(joined_rows_current, tasks):
        previous, new = handed[task.lead_id]
        if task.assigned_to is None or task.assigned_to.email != previous or new not in users:
            continue
        before = _tracked(task)
        task.assigned_to, task.updated_at = users[new], now
        moved.append(task)
        changes.append(diff(before, _tracked(task)))
    if moved:
        Task.objects.bulk_update(moved, ["assigned_to", "updated_at"])
        record_events(
            actor=actor,
            verb=Verb.TASK_UPDATED,
            subjects=moved,
            changes=changes,
            lead_ids=[task.lead_id for task in moved],
            snapshots=[task_to_api(task) for task in moved],
        )


def _tracked(task: Task) -> dict[str, Any]:
    snapshot = task_to_api(task)
    return {name: snapshot[name] for name in TRACKED}


def _check_assignee(actor: Actor, assignee) -> None:
    if not actor.is_admin and (actor.user is None or assignee.pk != actor.user.pk):
        raise Forbidden(REP_ASSIGNS_ONLY_THEMSELVES, "assigned_to")


def _locked(actor: Actor, task_id) -> Task:
    tasks = Task.objects.visible_to(actor.user).select_related("lead", "assigned_to", "done_by")
    locked = lock_rows(tasks.filter(pk=task_id))
    if not locked:
        raise NotFound("This task does not exist (any more).")
    return locked[0]
