from rest_framework import serializers

from crm.dates import iso_utc
from crm.serializers import StrictJSONSerializer

from .models import MAX_DURATION_SECONDS, CallLog


class CallLogSerializer(StrictJSONSerializer, serializers.ModelSerializer):
    lead_id = serializers.UUIDField(help_text="UUID of the lead this call belongs to.")
    duration_seconds = serializers.IntegerField(
        min_value=0,
        max_value=MAX_DURATION_SECONDS,
        help_text="Call duration in seconds; 0 = missed.",
    )
    called_at = serializers.DateTimeField(
        required=False,
        help_text="When the call happened (ISO 8601; UTC if no offset is given). Default: now.",
    )

    class Meta:
        model = CallLog
        fields = [
            "id", "lead_id", "call_type", "duration_seconds", "outcome", "notes", "called_at",
            "created_at",
        ]  # fmt: skip
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {
            "outcome": {
                "help_text": "Default Completed, or Missed when duration_seconds is 0.",
            },
        }

    def validate_notes(self, value: str | None) -> str | None:
        return value or None

    def to_representation(self, call: CallLog) -> dict:
        return {
            "id": str(call.id),
            "lead_id": str(call.lead_id),
            "call_type": call.call_type,
            "duration_seconds": call.duration_seconds,
            "outcome": call.outcome,
            "notes": call.notes,
            "called_at": iso_utc(call.called_at),
            "created_at": iso_utc(call.created_at),
        }
