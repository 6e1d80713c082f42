"""Call log business rules: log, edit and delete calls, each recorded as one event in the same
transaction. The API, the pages, the admin and the demo seed all call these."""

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Subquery
from django.utils import timezone

from core import tally
from core.errors import Conflict, NotFound, ServiceError
from events.models import Verb
from events.services import Actor, diff, record_event
from leads.models import Lead
from leads.rules import InvalidPhone, can_see
from leads.selectors import lead_duplicates
from leads.services import MergePolicy, lead_upsert, locked_visible_lead
from tasks.services import call_back_close, call_back_open

from .models import CallLog
from .representation import call_to_api
from .rules import (
    CALL_BACK_DONE,
    CALL_BACK_WANTED,
    EDITABLE_FIELDS,
    clean_call_fields,
    clean_external_id,
    default_outcome,
)

logger = logging.getLogger(__name__)

# A new lead made for a call from an unknown number says where it came from.
PHONE_CALL_SOURCE = "Phone call"
_ATTEMPTS = 3


@dataclass(frozen=True)
class CallResult:
    call: CallLog
    created: bool  # False: an existing call (same external_id) was updated


def call_log(*, actor: Actor, lead_id: uuid.UUID, **fields: Any) -> CallLog:
    """Log a call against a lead the actor can see. `fields`: call_type, duration_seconds, and
    optionally outcome (default from the duration), notes, called_at (default now) and
    recording_url.

    The lead is locked while the call is written, so a lead deleted at the same moment either
    takes the call with it or is already gone (NotFound), never a half-written call."""
    fields = _new_call_fields(fields)
    with transaction.atomic():
        return _create(actor, locked_visible_lead(actor, lead_id), fields, external_id=None)


def call_record(
    *,
    actor: Actor,
    fields: dict[str, Any],
    lead_id: uuid.UUID | None = None,
    phone: str | None = None,
    external_id: str | None = None,
) -> CallResult:
    """A call as a dialer reports it: against a lead (`lead_id`) or a phone number (`phone`:
    the visible lead with that number, or a new lead made for it), and optionally with the
    dialer's own id. A second report with the same `external_id` updates that call with the
    fields it sends (a call started, then ended) instead of logging another.

    Simultaneous first reports of one external_id (or of one new number) are settled by the
    unique constraints: the loser's insert fails, and it retries as an update. A report that
    makes a lead counts the lead and the call together (core.tally.batch), in the one order
    of the tallies, as a lead's deletion does."""
    if (lead_id is None) == (phone is None):
        raise ServiceError("Send exactly one of lead_id and phone.", "lead_id")
    if external_id is not None:
        external_id = clean_external_id(external_id)
    for attempt in range(_ATTEMPTS):
        try:
            with transaction.atomic(), tally.batch():
                return _record_call(actor, fields, lead_id, phone, external_id)
        except IntegrityError:
            if attempt == _ATTEMPTS - 1:  # (other requests racing on it each time): resend
                field = "external_id" if external_id is not None else "phone"
                raise Conflict(
                    f"Another request changed the call or lead with this {field} at the same "
                    "moment; send this one again.",
                    field,
                ) from None
            logger.info("a call report lost a race on its external_id or phone; retrying")
    raise AssertionError("unreachable")


def _record_call(actor, fields, lead_id, phone, external_id) -> CallResult:
    existing = None
    if external_id is not None:
        existing = _locked_with_lead(CallLog.objects.filter(external_id=external_id))
        if existing is not None and not can_see(actor.user, existing.lead):
            raise Conflict("This external_id belongs to a call this key cannot see.", "external_id")
    if lead_id is not None and existing is not None and existing.lead_id == lead_id:
        lead = existing.lead  # (locked, and visible)
    elif lead_id is not None:
        lead = locked_visible_lead(actor, lead_id)
    elif existing is not None:
        lead = _lead_of_phone(actor, phone, create=False)
    else:
        lead = _lead_of_phone(actor, phone, create=True)
    if existing is None:
        call = _create(actor, lead, _new_call_fields(fields), external_id)
        return CallResult(call, created=True)
    if lead is None or lead.pk != existing.lead_id:
        raise Conflict("This external_id belongs to a call of another lead.", "external_id")
    _update(actor, existing, clean_call_fields(fields))
    return CallResult(existing, created=False)


def _new_call_fields(fields: dict[str, Any]) -> dict[str, Any]:
    fields = clean_call_fields({"outcome": None, "called_at": None, **fields})
    if fields["outcome"] is None:
        fields["outcome"] = default_outcome(fields["duration_seconds"])
    return fields


def _lead_of_phone(actor: Actor, phone: str, *, create: bool) -> Lead | None:
    """The visible lead with this number, made if there is none (and `create`). A lead with
    the number that the key cannot see is a Conflict that says nothing about it."""
    fields = {"name": phone, "phone": phone, "source": PHONE_CALL_SOURCE}
    if create:
        return lead_upsert(actor=actor, fields=fields, merge=MergePolicy.KEEP).lead
    try:
        found = lead_duplicates(phone=phone, email=None).get("phone")
    except InvalidPhone as error:
        raise ServiceError(str(error), "phone") from None
    if found is not None and not can_see(actor.user, found):
        raise Conflict("A lead with this phone exists and is not assigned to this key's user.")
    return found


def _create(actor: Actor, lead: Lead, fields: dict[str, Any], external_id: str | None):
    call = CallLog.objects.create(lead=lead, external_id=external_id, **fields)
    snapshot = call_to_api(call)
    changes = diff({}, {name: snapshot[name] for name in (*EDITABLE_FIELDS, "external_id")})
    _record(actor, Verb.CALL_LOG_CREATED, call, changes, snapshot)
    _follow_up(actor, lead, call, was=None)
    return call


def _follow_up(actor: Actor, lead: Lead, call: CallLog, was: tuple | None) -> None:
    """The call-back rule, when a call is logged or its type or outcome changes: a missed
    inbound call opens a call-back task, a completed outbound call closes the lead's open one.
    (`lead` is locked: two calls of one lead take their turns.)"""
    now = (call.call_type, call.outcome)
    if now == was:
        return
    if now in CALL_BACK_WANTED:
        call_back_open(actor=actor, lead=lead, logged_at=timezone.now(), call_id=call.pk)
        return
    if was in CALL_BACK_WANTED:  # the missed call was answered after all (a dialer's end)
        call_back_close(actor=actor, lead=lead, called_at=call.called_at, call_id=call.pk)
    if now in CALL_BACK_DONE:
        call_back_close(actor=actor, lead=lead, called_at=call.called_at)


def call_update(*, actor: Actor, call: CallLog, fields: dict[str, Any]) -> dict[str, list]:
    """Edit a call the actor can see; returns {field: [old, new]} of what changed."""
    fields = clean_call_fields(fields)
    with transaction.atomic():
        return _update(actor, _locked(actor, call.pk), fields)


def _update(actor: Actor, call: CallLog, fields: dict[str, Any]) -> dict[str, list]:
    """Set `fields` (clean) on a locked call: only those change. (An outcome sent as null
    becomes the default for the call's duration, as on create.)"""
    before = call_to_api(call)
    was = (call.call_type, call.outcome)
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
        _follow_up(actor, call.lead, call, was)
    return changes


def call_delete(*, actor: Actor, call: CallLog) -> None:
    """Delete a call the actor can see; one deleted meanwhile by someone else is a NotFound."""
    with transaction.atomic():
        call = _locked(actor, call.pk)
        _record(actor, Verb.CALL_LOG_DELETED, call, {}, call_to_api(call))
        call.delete()


def _locked(actor: Actor, call_id) -> CallLog:
    call = _locked_with_lead(CallLog.objects.visible_to(actor.user).filter(pk=call_id))
    if call is None or not can_see(actor.user, call.lead):
        raise NotFound("This call log does not exist (any more).")
    return call


def _locked_with_lead(calls) -> CallLog | None:
    """The one call of `calls`, locked after its lead (as every lead write, and deleting the
    lead with its calls, lock the lead first), with `call.lead` the locked, current lead: its
    assignee, source and pipeline are what the call is counted by (calls.tally)."""
    its_lead = Subquery(calls.order_by().values("lead_id")[:1])
    lead = Lead.objects.select_for_update().filter(pk=its_lead).first()
    if lead is None:
        return None
    call = calls.select_for_update().filter(lead_id=lead.pk).first()
    if call is None:  # deleted meanwhile
        return None
    call.lead = lead
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
