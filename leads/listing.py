"""The list of leads' filters: the table (core.listing says what it drives). To add a filter,
declare it here; the API validates and documents it, and both the ORM and the list's SQL apply
it (tests/leads/test_list.py holds the two together for every filter declared here).
Row-level security sits beside it: leads.rules.visible_leads / visible_leads_sql."""

import django_filters

from core.listing import DateWindowFilterSet, EmailFilter, strict_choice_filter

from .models import Lead
from .rules import MAX_LENGTHS, LeadPriority, LeadStatus


class LeadFilter(DateWindowFilterSet):
    date_field = "created_at"

    status = strict_choice_filter(LeadStatus.choices, "status")
    priority = strict_choice_filter(LeadPriority.choices, "priority")
    source = django_filters.CharFilter(
        max_length=MAX_LENGTHS["source"], help_text="Exact lead source, e.g. IVR."
    )
    assigned_to = EmailFilter(
        field_name="assigned_to__email",
        max_length=MAX_LENGTHS["email"],
        help_text="Assigned user's email (any case).",
    )

    class Meta(DateWindowFilterSet.Meta):
        model = Lead
        fields = ["from_date", "to_date", "status", "source", "priority", "assigned_to"]
