"""The list of call logs' filters (core.listing says what the table drives). Visibility: a call
is visible to whoever can see its lead (calls.models.CallLogQuerySet.visible_to)."""

import django_filters

from core.listing import DateWindowFilterSet, strict_choice_filter

from .models import CallLog
from .rules import CallOutcome, CallType


class CallLogFilter(DateWindowFilterSet):
    date_field = "called_at"

    lead_id = django_filters.UUIDFilter(
        field_name="lead_id",
        help_text="Only calls of this lead.",
        error_messages={"invalid": "Enter a valid lead UUID."},
    )
    call_type = strict_choice_filter(CallType.choices, "call_type")
    outcome = strict_choice_filter(CallOutcome.choices, "outcome")

    class Meta(DateWindowFilterSet.Meta):
        model = CallLog
        fields = ["from_date", "to_date", "lead_id", "call_type", "outcome"]
