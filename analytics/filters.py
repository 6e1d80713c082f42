"""The analytics' parameters: an IST date window (defaults as on the lists: the last 30 days)
and the filters `assigned_to`, `source` and `pipeline_id`, declared as the leads list declares
them, so they validate and read the same."""

from core.listing import AnyEmailFilter, CharFilter, DateWindowFilterSet, IdFilter
from leads.models import Lead
from leads.rules import MAX_LENGTHS


class AnalyticsFilter(DateWindowFilterSet):
    date_field = "created_at"

    assigned_to = AnyEmailFilter(
        field_name="assigned_to__email",
        max_length=MAX_LENGTHS["email"],
        help_text="Leads assigned to this user (email, any case; or `all`).",
    )
    source = CharFilter(
        max_length=MAX_LENGTHS["source"], help_text="Exact lead source, e.g. IVR (or `all`)."
    )
    pipeline_id = IdFilter(field_name="stage__pipeline", help_text="Leads in this pipeline.")

    class Meta(DateWindowFilterSet.Meta):
        model = Lead
        fields = ["from_date", "to_date", "assigned_to", "source", "pipeline_id"]
