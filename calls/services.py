import datetime as dt

from django.db import transaction
from django.utils import timezone

from audit.services import Actor, audit_record
from crm.dates import iso_utc
from leads.models import Activity, ActivityKind, Lead

from .models import CallLog, CallOutcome


def default_outcome(duration_seconds: int) -> CallOutcome:
    """0 seconds means nobody picked up: Missed, unless the caller said otherwise."""
    return CallOutcome.MISSED if duration_seconds == 0 else CallOutcome.COMPLETED


def call_log(
    *,
    actor: Actor,
    lead: Lead,
    call_type: str,
    duration_seconds: int,
    outcome: str | None = None,
    notes: str | None = None,
    called_at: dt.datetime | None = None,
) -> CallLog:
    """Log a call against a lead the actor can see, with a timeline entry and an audit entry."""
    with transaction.atomic():
        call = CallLog.objects.create(
            lead=lead,
            call_type=call_type,
            duration_seconds=duration_seconds,
            outcome=outcome or default_outcome(duration_seconds),
            notes=notes or None,
            called_at=called_at or timezone.now(),
        )
        Activity.objects.create(
            lead=lead,
            kind=ActivityKind.CALL_LOGGED,
            message=f"{call.call_type} call, {_duration(call.duration_seconds)}: {call.outcome}.",
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
    with transaction.atomic():
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


def _duration(seconds: int) -> str:
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes}m {seconds:02d}s" if minutes else f"{seconds}s"
