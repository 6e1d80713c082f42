"""Call log business rules: log, edit and delete calls, each recorded as one event in the same
transaction. The API, the pages, the admin and the demo seed all call these."""

import uuid
from typing import Any

from django.db import transaction

from core.errors import NotFound
from events.models import Verb
from events.services import Actor, diff, record_event
from leads.models import Lead

from .models import CallLog
from .representation import call_to_api
from .rules import EDITABLE_FIELDS, clean_call_fields, default_outcome


def call_log(*, actor: Actor, lead_id: uuid.UUID, **fields: Any) -> CallLog:
    """Log a call against a lead the actor can see. `fields`: call_type, duration_seconds, and
    optionally outcome (default from the duration), notes and called_at (default now).

    The lead is locked while the call is written, so a lead deleted at the same moment either
    takes the call with it or is already gone (NotFound), never a half-written call."""
    fields = clean_call_fields({"outcome": None, "called_at": None, **fields})
    if fields["outcome"] is None:
        fields["outcome"] = default_outcome(fields["duration_seconds"])
    with transaction.atomic():
        lead = Lead.objects.visible_to(actor.user).select_for_update().filter(pk=lead_id).first()
        if lead is None:
            raise NotFound("No lead with this id is visible to this key.", "lead_id")
        call = CallLog.objects.create(lead=lead, **fields)
        snapshot = call_to_api(call)
        changes = diff({}, {name: snapshot[name] for name in EDITABLE_FIELDS})
        _record(actor, Verb.CALL_LOG_CREATED, call, changes, snapshot)
    return call


def call_update(*, actor: Actor, call: CallLog, fields: dict[str, Any]) -> dict[str, list]:
    """Edit a call the actor can see; returns {field: [old, new]} of what changed."""
    fields = clean_call_fields(fields)
    with transaction.atomic():
        call = _locked(actor, call.pk)
        before = call_to_api(call)
        for name, value in fields.items():
            setattr(call, name, value)
        if call.outcome is None:
            call.outcome = default_outcome(call.duration_seconds)
        after = call_to_api(call)
        changes = diff(
            {name: before[name] for name in EDITABLE_FIELDS},
            {name: after[name] for name in EDITABLE_FIELDS},
        )
        if changes:
            call.save()
            _record(actor, Verb.CALL_LOG_UPDATED, call, changes, after)
    return changes


def call_delete(*, actor: Actor, call: CallLog) -> None:
    """Delete a call the actor can see; one deleted meanwhile by someone else is a NotFound."""
    with transaction.atomic():
        call = _locked(actor, call.pk)
        _record(actor, Verb.CALL_LOG_DELETED, call, {}, call_to_api(call))
        call.delete()


def _locked(actor: Actor, call_id) -> CallLog:
    call = CallLog.objects.visible_to(actor.user).select_for_update(of=("self",))
    call = call.filter(pk=call_id).first()
    if call is None:
        raise NotFound("This call log does not exist (any more).")
    return call


def _record(actor: Actor, verb: Verb, call: CallLog, changes: dict, snapshot: dict) -> None:
    record_event(
        actor=actor,
        verb=verb,
        subject=call,
        changes=changes,
        lead_id=call.lead_id,
        snapshot=snapshot,
    )
