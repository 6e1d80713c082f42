import datetime as dt
import uuid

from django.db import transaction
from django.utils import timezone

from audit.services import Actor, audit_record
from crm.dates import iso_utc
from crm.errors import NotFound, ServiceError
from leads.models import Activity, ActivityKind, Lead

from .models import CLOCK_SKEW, EARLIEST_CALL, CallLog, CallOutcome, format_duration


def default_outcome(duration_seconds: int) -> CallOutcome:
    """0 seconds means nobody picked up: Missed, unless the caller said otherwise."""
    return CallOutcome.MISSED if duration_seconds == 0 else CallOutcome.COMPLETED


def call_log(
    *,
    actor: Actor,
    lead_id: uuid.UUID,
    call_type: str,
    duration_seconds: int,
    outcome: str | None = None,
    notes: str | None = None,
    called_at: dt.datetime | None = None,
) -> CallLog:
    """Log a call against a lead the actor can see, with a timeline entry and an audit entry.

    The lead is locked while the call is written, so a lead deleted at the same moment either
    takes the call with it or is already gone (NotFound), never a half-written call."""
    called_at = called_at or timezone.now()
    if not EARLIEST_CALL <= called_at <= timezone.now() + CLOCK_SKEW:
        raise ServiceError(
            "Must be between 2000-01-01 and now (a day of clock skew is allowed).", "called_at"
        )
    with transaction.atomic():
        lead = Lead.objects.visible_to(actor.user).select_for_update().filter(pk=lead_id).first()
        if lead is None:
            raise NotFound("No lead with this id is visible to this key.", "lead_id")
        call = CallLog.objects.create(
            lead=lead,
            call_type=call_type,
            duration_seconds=duration_seconds,
            outcome=outcome or default_outcome(duration_seconds),
            notes=notes or None,
            called_at=called_at,
        )
        Activity.objects.create(
            lead=lead,
            kind=ActivityKind.CALL_LOGGED,
            message=f"{call.call_type} call, {format_duration(call.duration_seconds)}: "
            f"{call.outcome}.",
            actor=actor.user,
        )
        audit_record(
            actor=actor,
            action="call.create",
            obj=call,
            changes={"lead_id": str(lead.pk), "outcome": call.outcome},
        )
    return call


def call_delete(*, actor: Actor, call: CallLog) -> None:
    """Delete a call the actor can see; one deleted meanwhile by someone else is a NotFound."""
    with transaction.atomic():
        call = CallLog.objects.visible_to(actor.user).select_for_update().filter(pk=call.pk).first()
        if call is None:
            raise NotFound("This call log does not exist (any more).")
        Activity.objects.create(
            lead_id=call.lead_id,
            kind=ActivityKind.CALL_DELETED,
            message=f"Deleted the {call.call_type.lower()} call of {iso_utc(call.called_at)}.",
            actor=actor.user,
        )
        audit_record(
            actor=actor, action="call.delete", obj=call, changes={"lead_id": str(call.lead_id)}
        )
        call.delete()
