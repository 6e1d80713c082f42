"""A lead's timeline: its calls, its notes and the events about it, newest first, in words."""

import datetime as dt
from dataclasses import dataclass

from calls.models import CallLog
from core.dates import IST
from events.models import Channel, Event, Verb
from leads.models import Lead, Note

# Fields a person does not read: a move says the stage's name.
IDS = ("stage_id", "pipeline_id")
# Events the timeline shows as the thing itself (the call, the note), not as a change.
SHOWN_AS_THEMSELVES = (Verb.CALL_LOG_CREATED, Verb.LEAD_NOTE_ADDED)


@dataclass(frozen=True)
class Entry:
    """One line of the timeline: a call, a note, or a change (kind, title, message)."""

    when: dt.datetime
    kind: str
    call: CallLog | None = None
    note: Note | None = None
    title: str = ""
    message: str = ""
    who: str = ""


def lead_timeline(lead: Lead, length: int | None) -> tuple[list[Entry], bool]:
    """The newest `length` entries (all with None), and whether there are more."""
    calls = lead.calls.all()
    notes = lead.timeline_notes.select_related("author")
    events = Event.objects.filter(lead_id=lead.pk).exclude(verb__in=SHOWN_AS_THEMSELVES)
    if length is not None:
        calls, notes, events = calls[: length + 1], notes[: length + 1], events[: length + 1]
    entries = [Entry(call.called_at, "call", call=call) for call in calls]
    entries += [
        Entry(note.created_at, "note", note=note, who=note.author.email if note.author else "")
        for note in notes
    ]
    entries += [_change(event) for event in events]
    entries.sort(key=lambda entry: entry.when, reverse=True)
    if length is not None and len(entries) > length:
        return entries[:length], True
    return entries, False


def _change(event: Event) -> Entry:
    kind, title, message = _describe(event)
    return Entry(event.occurred_at, kind, title=title, message=message, who=event.actor_email)


def _describe(event: Event) -> tuple[str, str, str]:
    changes = event.changes
    if event.verb == Verb.LEAD_CREATED:
        message = f"Lead created via {_channel(event)}."
        if rule := changes.get("assigned_by_rule"):  # routed to a rep (routing)
            assignee = changes.get("assigned_to", [None, None])[1]
            message += f" Assigned to {assignee} by the rule “{rule[1]}”."
        return "created", "Created", message
    if event.verb == Verb.LEAD_MERGED:
        summary = _summary(changes) or "no fields changed"
        return "merged", "Merged", f"Merged a duplicate from {_channel(event)}: {summary}."
    if event.verb in TASK_VERBS:
        return _task_change(event)
    if event.verb == Verb.CALL_LOG_UPDATED:
        return "call_updated", "Call edited", f"Edited a call: {_summary(changes)}."
    if event.verb == Verb.CALL_LOG_DELETED:
        call = event.snapshot or {}
        when = _ist(call.get("called_at"))
        kind = (call.get("call_type") or "").lower()
        return "call_deleted", "Call deleted", f"Deleted the {kind} call of {when}."
    sentences = []
    rest = dict(changes)
    # Ids are for machines; a move reads as its stage (and status, when that says more).
    rest.pop("stage_id", None)
    other_pipeline = rest.pop("pipeline_id", None)
    moved = _move(rest.pop("stage", None), rest.pop("status", None), bool(other_pipeline))
    if moved:
        sentences.append(moved)
    if assignee := rest.pop("assigned_to", None):
        sentences.append(f"Assigned to {assignee[1] or 'nobody'} (was {assignee[0] or 'nobody'}).")
    if rest:
        sentences.append(f"Edited: {_summary(rest)}.")
    if moved and sentences == [moved]:
        return "status_changed", "Moved" if "Moved" in moved else "Status changed", moved
    if list(changes) == ["assigned_to"]:
        return "assigned", "Assigned", " ".join(sentences)
    return "updated", "Updated", " ".join(sentences)


TASK_VERBS = (Verb.TASK_CREATED, Verb.TASK_UPDATED, Verb.TASK_DELETED)
# A task's bookkeeping, said by "done" itself.
TASK_QUIET = ("updated_at", "done_at", "done_by", "done")


def _task_change(event: Event) -> tuple[str, str, str]:
    task = event.snapshot or {}
    title = f"“{task.get('title', '')}”"
    if event.verb == Verb.TASK_CREATED:
        made = " after a missed call" if task.get("kind") == "call_back" else ""
        due = _ist(task.get("due_at"))
        whom = task.get("assigned_to") or "nobody"
        return "task", "Task added", f"{title} for {whom}, due {due}{made}."
    if event.verb == Verb.TASK_DELETED:
        return "task", "Task deleted", f"{title}."
    done = event.changes.get("done")
    rest = {k: v for k, v in event.changes.items() if k not in TASK_QUIET}
    edited = f" Edited: {_summary(rest)}." if rest else ""
    if done == [False, True]:
        return "task", "Task done", f"{title}.{edited}"
    if done == [True, False]:
        return "task", "Task reopened", f"{title}.{edited}"
    return "task", "Task edited", f"{title}: {_summary(rest)}."


def _move(stage: list | None, status: list | None, other_pipeline: bool) -> str:
    """A move between stages in words. In stages named as their status (the default
    pipeline's), it is the status change it always was."""
    if stage is None:
        return f"Status {status[0]} → {status[1]}." if status else ""
    if status == stage and not other_pipeline:
        return f"Status {status[0]} → {status[1]}."
    where = " in another pipeline" if other_pipeline else ""
    said = f"Moved to {stage[1]}{where} (was {stage[0]})."
    if status is not None and status[0] != status[1]:
        said += f" Status {status[0]} → {status[1]}."
    return said


def _summary(changes: dict[str, list]) -> str:
    parts = []
    for name, (old, new) in changes.items():
        if name in IDS:
            continue
        label = name.replace("_", " ")
        if name in {"notes", "tags"}:
            parts.append(f"{label} updated")
        else:
            parts.append(f"{label} {_shown(old)} → {_shown(new)}")
    return ", ".join(parts)


def _shown(value) -> str:
    return "—" if value in (None, "", []) else str(value)


def _channel(event: Event) -> str:
    if event.channel == Channel.API:
        return f"API key “{event.api_key_label}”" if event.api_key_label else "the API"
    return {
        Channel.WEB: "the web app",
        Channel.ADMIN: "the Django admin",
        Channel.IMPORT: "an import",
    }.get(event.channel, "the system")


def _ist(iso: str | None) -> str:
    if not iso:
        return "an unknown time"
    moment = dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(IST)
    return moment.strftime("%-d %b %Y, %H:%M IST")
