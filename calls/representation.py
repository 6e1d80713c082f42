"""A call log as API v1 shows it: list, detail and the event stream use this one function."""

from typing import Any

from core.dates import iso_utc

from .models import CallLog

API_FIELDS = (
    "id", "lead_id", "call_type", "duration_seconds", "outcome", "notes", "called_at",
    "created_at", "external_id", "recording_url",
)  # fmt: skip


def call_to_api(call: CallLog) -> dict[str, Any]:
    return {
        "id": str(call.id),
        "lead_id": str(call.lead_id),
        "call_type": call.call_type,
        "duration_seconds": call.duration_seconds,
        "outcome": call.outcome,
        "notes": call.notes,
        "called_at": iso_utc(call.called_at),
        "created_at": iso_utc(call.created_at),
        "external_id": call.external_id,
        "recording_url": call.recording_url,
    }
