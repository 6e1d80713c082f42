import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from crm.api import DateWindowFilterSet, strict_choice_filter

from .models import Lead, LeadPriority, LeadStatus


@extend_schema_field(OpenApiTypes.EMAIL)
class EmailFilter(django_filters.CharFilter):
    field_class = forms.EmailField


class LeadFilter(DateWindowFilterSet):
    """The list's query parameters: validated here (`validated`), applied in SQL by
    `leads.selectors.lead_list`. `.qs` applies the same filters through the ORM: the tests hold
    the SQL to it."""

    date_field = "created_at"

    status = strict_choice_filter(LeadStatus.choices, "status")
    priority = strict_choice_filter(LeadPriority.choices, "priority")
    source = django_filters.CharFilter(max_length=100, help_text="Exact lead source, e.g. IVR.")
    assigned_to = EmailFilter(
        method="filter_assigned_to", max_length=254, help_text="Assigned user's email."
    )

    class Meta(DateWindowFilterSet.Meta):
        model = Lead
        fields = ["from_date", "to_date", "status", "source", "priority", "assigned_to"]

    def filter_assigned_to(self, queryset, name, value):
        return queryset.filter(assigned_to__email=value.strip().lower())

    @classmethod
    def lead_list_filters(cls, params: dict) -> dict:
        """Valid parameters (`LeadFilter.validated`) as `lead_list`'s keyword arguments."""
        start, end = cls.window(params)
        return {
            "start": start,
            "end": end,
            "status": params["status"],
            "source": params["source"],
            "priority": params["priority"],
            "assignee_email": params["assigned_to"],
        }
