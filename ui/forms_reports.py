"""The reports page's filters (/reports/): the analytics API's parameters as a form. The form
checks what a person picks; the values then go through the API's own filter table
(analytics.filters.AnalyticsFilter), so the defaults (the last 30 IST days) and the rules are
the API's, and a refusal shows next to its field instead of a 500."""

from collections.abc import Sequence

from django import forms
from django.http import QueryDict
from rest_framework.exceptions import ValidationError as APIValidationError

from accounts.models import User
from analytics.filters import AnalyticsFilter
from core.dates import ist_window
from core.listing import ANY
from pipelines.models import Pipeline

from .forms import DayField

# The per-day table has a row per day: a longer window is a mistake, not a report.
MAX_WINDOW_DAYS = 366
# The form's field → the API's parameter.
PARAMETERS = {
    "from_date": "from_date",
    "to_date": "to_date",
    "source": "source",
    "assigned_to": "assigned_to",
    "pipeline": "pipeline_id",
}


class ReportFilterForm(forms.Form):
    """Validates itself on creation (a GET form: no data is "no filters")."""

    from_date = DayField(
        label="Created from",
        help_text=f"IST; default: 30 days before To; at most {MAX_WINDOW_DAYS} days.",
    )
    to_date = DayField(label="Created to", help_text="IST; default: today.")
    source = forms.ChoiceField(required=False)
    assigned_to = forms.ChoiceField(label="Assigned to", required=False)
    pipeline = forms.ChoiceField(label="Pipeline", required=False)

    def __init__(self, data, *, user: User, sources: list[str], pipelines: Sequence[Pipeline]):
        if "pipeline_id" in data and "pipeline" not in data:
            data = data.copy()  # the API's name for it, in a link written for the API
            wanted = data["pipeline_id"].lower()
            data["pipeline"] = "" if wanted == ANY else wanted
        super().__init__(data)
        self.user, self.pipelines = user, list(pipelines)
        sources = list(sources)
        wanted = (self.data.get("source") or "")[:100]
        if wanted and wanted not in sources:
            sources.append(wanted)  # a saved link to a source this user has no leads from
        self.fields["source"].choices = [("", "Any"), *((s, s) for s in sources)]
        self.fields["pipeline"].choices = [
            ("", "All pipelines"), *((str(p.pk), p.name) for p in self.pipelines)
        ]  # fmt: skip
        if user.is_admin:
            users = User.objects.filter(is_active=True).order_by("email").values_list("email")
            self.fields["assigned_to"].choices = [("", "Anyone"), *((e, e) for (e,) in users)]
        else:
            del self.fields["assigned_to"]  # a rep's reports are their own leads
        self.filters: dict = {}
        if self.is_valid():
            self.filters = self._analytics_filters()

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        start, end = ist_window(cleaned.get("from_date"), cleaned.get("to_date"))
        if start > end:
            self.add_error("from_date", f"From ({start}) is after To ({end}).")
        elif (end - start).days + 1 > MAX_WINDOW_DAYS:
            self.add_error("from_date", f"Choose at most {MAX_WINDOW_DAYS} days.")
        return cleaned

    def _analytics_filters(self) -> dict:
        """The API's cleaned parameters for what the form holds, or {} with the API's errors
        put next to the fields."""
        query = QueryDict(mutable=True)
        for field, parameter in PARAMETERS.items():
            value = self.cleaned_data.get(field)
            if value:
                query[parameter] = value.isoformat() if hasattr(value, "isoformat") else value
        try:
            return AnalyticsFilter.validated(query)
        except APIValidationError as error:
            fields = {parameter: field for field, parameter in PARAMETERS.items()}
            for parameter, messages in error.detail.items():
                field = fields.get(parameter)
                for message in messages if isinstance(messages, list) else [messages]:
                    self.add_error(field if field in self.fields else None, str(message))
            return {}

    @property
    def chosen_pipeline(self) -> Pipeline | None:
        """The pipeline filtered on (None: all of them)."""
        wanted = self.cleaned_data.get("pipeline") if self.filters else None
        return next((p for p in self.pipelines if str(p.pk) == wanted), None)

    @property
    def query(self) -> str:
        """The filters as a query string, for the CSV links."""
        kept = QueryDict(mutable=True)
        for field in PARAMETERS:
            if field in self.fields and self.data.get(field):
                kept[field] = self.data[field]
        return kept.urlencode()
