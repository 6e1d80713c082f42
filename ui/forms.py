"""Forms for the sales pages. They turn what a person typed into Python values and hand them to
the services, which own every rule (leads.rules, calls.rules); a refusal comes back as errors
next to the fields (show_service_error). List filters apply through the lists' filter tables
(leads.listing, calls.listing), as the API's do."""

import re
import uuid
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.functional import cached_property

from accounts.models import User
from calls.listing import CallLogFilter
from calls.rules import NOTES_LENGTH as CALL_NOTES_LENGTH
from calls.rules import CallOutcome, CallType, form_outcome
from core.errors import InvalidFields, ServiceError
from core.listing import ISODateField
from leads.listing import LeadFilter
from leads.models import Lead
from leads.rules import (
    MAX_LENGTHS,
    NOTES_MAX_LENGTH,
    LeadPriority,
    LeadStatus,
    check_contact,
    clean_lead_fields,
)
from pipelines.models import Pipeline, Stage

PAGE_SIZES = (25, 50, 100, 200)
UNASSIGNED = "none"


class TextBoxField(forms.CharField):
    """Several lines of text, typed in a <textarea>: a browser counts each line break as one
    character against `maxlength` but sends it as CR LF; read as LF, the text sent is the text
    counted (and stored as an API client would send it)."""

    def __init__(self, *, rows: int, **kwargs):
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": rows}))
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = value.replace("\r\n", "\n")
        return super().to_python(value)


def service_errors(error: ServiceError) -> dict[str, str]:
    """{field: message} of a service's refusal (every field, for InvalidFields)."""
    return error.errors if isinstance(error, InvalidFields) else {error.field: error.message}


def show_service_error(form: forms.Form, error: ServiceError) -> None:
    """Put a service's refusal next to the field(s) it names, or above the form when the page
    does not show that field (none, or a hidden one: a lead that is no longer yours)."""
    errors = service_errors(error)
    renamed = getattr(form, "service_field_names", {})
    for field, message in errors.items():
        field = renamed.get(field, field)
        shown = field in form.fields and not form.fields[field].widget.is_hidden
        form.add_error(field if shown else None, message)


# The largest id a database column holds: a bigger number typed into a form is no user (SQLite
# would raise OverflowError looking it up).
MAX_ID = 2**63 - 1
ID_TEXT = re.compile(r"[0-9]{1,19}")


def plausible_id(value) -> bool:
    text = str(value).strip()
    return bool(ID_TEXT.fullmatch(text)) and 0 < int(text) <= MAX_ID


class UserChoiceField(forms.ModelChoiceField):
    """A user picked by id; an id no column can hold is an invalid choice, not an error page."""

    def to_python(self, value):
        if value not in self.empty_values and not plausible_id(value):
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().to_python(value)


class UsersChoiceField(forms.ModelMultipleChoiceField):
    """Users picked by id (UserChoiceField, several)."""

    def _check_values(self, value):
        for pk in value:
            if not plausible_id(pk):
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DayField(ISODateField):
    """An optional day filter, picked with the browser's date input: YYYY-MM-DD exactly, as the
    API reads it (Django's own formats would read 01/11/2026 as 11 January), within the years
    any date arithmetic here can handle."""

    def __init__(self, **kwargs):
        super().__init__(required=False, widget=_date_input(), **kwargs)


# --- Lists ----------------------------------------------------------------------------------


class DateWindowMixin:
    """from_date/to_date are IST days, both inclusive and both optional (the API's meaning)."""

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("from_date"), cleaned.get("to_date")
        if start and end and start > end:
            self.add_error("from_date", f"From ({start}) is after To ({end}).")
            cleaned.pop("to_date")  # the window as a whole is invalid: filter by neither end
        return cleaned


class ListForm(forms.Form):
    """Filters read from the query string. The form validates itself on creation: an invalid
    filter is reported next to its field and left out, while the valid ones still apply."""

    filter_names: tuple[str, ...] = ()
    sort_choices: tuple[str, ...] = ()
    default_sort = ""

    per_page = forms.TypedChoiceField(
        label="Per page", coerce=int, required=False, choices=[(n, n) for n in PAGE_SIZES]
    )
    default_page_size = 50
    sort = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, data):
        if not data.get("per_page"):
            data = data.copy()
            data["per_page"] = str(self.default_page_size)
        super().__init__(data)
        self.customize()
        self.is_valid()

    def customize(self) -> None:
        """Adjust fields (choices from the database) before validation."""

    @property
    def page_size(self) -> int:
        return self.cleaned_data.get("per_page") or self.default_page_size

    @property
    def sort_value(self) -> str:
        sort = self.cleaned_data.get("sort")
        return sort if sort in self.sort_choices else self.default_sort

    @property
    def active_filters(self) -> int:
        return sum(1 for name in self.filter_names if self.cleaned_data.get(name))


class LeadFilterForm(DateWindowMixin, ListForm):
    filter_names = (
        "q", "status", "priority", "source", "assigned_to", "from_date", "to_date", "pipeline",
        "stage",
    )  # fmt: skip
    SORT_LABELS = {
        "-created": "Newest first",
        "created": "Oldest first",
        "name": "Name, A to Z",
        "-name": "Name, Z to A",
        "status": "Status, A to Z",
        "-status": "Status, Z to A",
    }
    sort_choices = tuple(SORT_LABELS)
    default_sort = "-created"

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Name, phone, email or company"}
        ),
    )
    status = forms.ChoiceField(required=False, choices=[("", "Any"), *LeadStatus.choices])
    priority = forms.ChoiceField(required=False, choices=[("", "Any"), *LeadPriority.choices])
    source = forms.ChoiceField(required=False)
    assigned_to = forms.ChoiceField(label="Assigned to", required=False)
    from_date = DayField(label="Created from")
    to_date = DayField(label="Created to")
    # The column headers sort on a wide screen; on a phone (no headers shown) this select does.
    # A Select over a CharField: a sort the page does not offer falls back to the default
    # quietly, as it does from a header link, instead of showing an error.
    sort = forms.CharField(
        label="Sort by", required=False, widget=forms.Select(choices=SORT_LABELS.items())
    )
    # Set by links (a board column's "all N in the leads list"), shown as a chip to clear.
    pipeline = forms.UUIDField(required=False, widget=forms.HiddenInput)
    stage = forms.UUIDField(required=False, widget=forms.HiddenInput)

    field_order = ["q", "status", "priority", "source", "assigned_to", "from_date", "to_date"]

    def __init__(self, data, *, user: User, sources: list[str]):
        self.user, self.sources = user, sources
        super().__init__(data)

    def customize(self) -> None:
        sources = list(self.sources)
        wanted = (self.data.get("source") or "")[:100]
        if wanted and wanted not in sources:
            sources.append(wanted)  # a saved link to a source this user has no leads from
        self.fields["source"].choices = [("", "Any"), *((s, s) for s in sources)]
        if self.user.is_admin:
            users = User.objects.filter(is_active=True).order_by("email").values_list("email")
            self.fields["assigned_to"].choices = [
                ("", "Anyone"), (UNASSIGNED, "Unassigned"), *((e, e) for (e,) in users)
            ]  # fmt: skip
        else:
            del self.fields["assigned_to"]  # a rep sees only their own leads anyway

    def apply(self, leads: QuerySet) -> QuerySet:
        """The filters in `filter_names` (through the API's filter table, its text search
        included) plus what only this page has: "Unassigned"."""
        data = {name: self.cleaned_data.get(name) for name in self.filter_names}
        data["q"] = (data.get("q") or "").strip()
        data["pipeline_id"], data["stage_id"] = data.pop("pipeline", None), data.pop("stage", None)
        if data.get("assigned_to") == UNASSIGNED:
            leads = leads.filter(assigned_to__isnull=True)
            data["assigned_to"] = None
        return leads.filter(LeadFilter.q(data))

    @cached_property
    def chosen_pipeline(self) -> Pipeline | None:
        """The pipeline the `pipeline` filter names, for its chip (None: no such pipeline)."""
        pipeline_id = self.cleaned_data.get("pipeline")
        return Pipeline.objects.filter(pk=pipeline_id).first() if pipeline_id else None

    @cached_property
    def chosen_stage(self) -> Stage | None:
        """The stage the `stage` filter names, with its pipeline, for its chip."""
        stage_id = self.cleaned_data.get("stage")
        if not stage_id:
            return None
        return Stage.objects.select_related("pipeline").filter(pk=stage_id).first()


class CallFilterForm(DateWindowMixin, ListForm):
    filter_names = ("lead", "call_type", "outcome", "from_date", "to_date")
    lead = forms.UUIDField(required=False, widget=forms.HiddenInput)
    call_type = forms.ChoiceField(
        label="Type", required=False, choices=[("", "Any"), *CallType.choices]
    )
    outcome = forms.ChoiceField(required=False, choices=[("", "Any"), *CallOutcome.choices])
    from_date = DayField(label="From")
    to_date = DayField(label="To")

    field_order = ["call_type", "outcome", "from_date", "to_date"]

    def apply(self, calls: QuerySet) -> QuerySet:
        data = self.cleaned_data
        return calls.filter(CallLogFilter.q({**data, "lead_id": data.get("lead")}))


# --- Leads ----------------------------------------------------------------------------------


class LeadForm(forms.Form):
    """New or edit. A new lead is sent to lead_upsert with only what the rep filled in, so a
    merge keeps the existing lead's other fields (as an API request that omits them would)."""

    name = forms.CharField(
        max_length=MAX_LENGTHS["name"], widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    phone = forms.CharField(
        max_length=MAX_LENGTHS["phone"],
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "placeholder": "+91 98765 43210"}),
        help_text="Phone or email is required. Numbers without a country code are Indian.",
    )
    email = forms.CharField(
        max_length=MAX_LENGTHS["email"], required=False, widget=forms.EmailInput()
    )
    company = forms.CharField(max_length=MAX_LENGTHS["company"], required=False)
    city = forms.CharField(max_length=MAX_LENGTHS["city"], required=False)
    source = forms.CharField(
        max_length=MAX_LENGTHS["source"],
        widget=forms.TextInput(attrs={"list": "source-options", "placeholder": "e.g. Referral"}),
    )
    status = forms.ChoiceField(choices=LeadStatus.choices, initial=LeadStatus.NEW)
    priority = forms.ChoiceField(choices=LeadPriority.choices, initial=LeadPriority.MEDIUM)
    tags = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "hot, callback"}),
        help_text="Comma separated.",
    )
    deal_value = forms.DecimalField(
        label="Deal value (INR)",
        required=False,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
    )
    notes = TextBoxField(required=False, max_length=NOTES_MAX_LENGTH, rows=3)
    assigned_to = UserChoiceField(
        label="Assigned to",
        queryset=User.objects.filter(is_active=True).order_by("email"),
        required=False,
        # (A new lead left without an assignee goes through the assignment rules: routing.)
        empty_label="Unassigned (or by the assignment rules)",
    )

    def __init__(self, data=None, *, user: User, lead: Lead | None = None):
        initial = None
        if lead is not None:
            initial = {name: getattr(lead, name) for name in self.base_fields}
            initial["tags"] = ", ".join(lead.tags)
            initial["assigned_to"] = lead.assigned_to_id
        super().__init__(data, initial=initial)
        if not user.is_admin:
            # A rep's leads are theirs: the service assigns them, and a rep may not reassign.
            del self.fields["assigned_to"]
        elif lead is not None and lead.assigned_to_id:
            # Keep a deactivated assignee selectable, or saving any edit would unassign the lead.
            self.fields["assigned_to"].queryset = User.objects.filter(
                Q(is_active=True) | Q(pk=lead.assigned_to_id)
            ).order_by("email")

    def clean_tags(self) -> list[str]:
        return [tag.strip() for tag in self.cleaned_data["tags"].split(",") if tag.strip()]

    def clean(self):
        """When a field is already refused here (a required one left empty), the lead rules
        judge the others now, so that every mistake shows on the first submit. (Otherwise the
        service judges them, once, when it saves.)"""
        cleaned = super().clean()
        if not self.errors:
            return cleaned
        judged = {name: value for name, value in cleaned.items() if name not in self.errors}
        if judged.get("email") == "":
            judged["email"] = None  # a blank email box means no email (all_fields)
        try:
            clean_lead_fields(judged)
            if "phone" in judged and "email" in judged:
                check_contact(judged["phone"], judged["email"])
        except ServiceError as error:
            for name, message in service_errors(error).items():
                if name in self.fields and name not in self.errors:
                    self.add_error(name, message)
        return cleaned

    def merge_fields(self) -> dict[str, Any]:
        """What the rep filled in, to merge into an existing lead: status and priority only when
        changed from their defaults, so a merge keeps the lead's other values."""
        fields = {}
        for name, value in self.cleaned_data.items():
            if name in ("status", "priority"):
                if name in self.changed_data:
                    fields[name] = value
            elif value not in (None, "", []):
                fields[name] = value
        return fields

    def all_fields(self) -> dict[str, Any]:
        """Every field: a field left empty is empty on the lead (leads.rules reads "" as none)."""
        fields = dict(self.cleaned_data)
        fields["email"] = fields["email"] or None  # a blank email box means no email
        return fields


# --- Quick actions on a lead ----------------------------------------------------------------


class CallLogForm(forms.Form):
    # The service names a field as the call log does; this form calls one of them otherwise.
    service_field_names = {"duration_seconds": "duration"}

    call_type = forms.ChoiceField(label="Type", choices=CallType.choices, initial=CallType.OUTBOUND)
    # No default duration or outcome: a call is never logged as missed because the rep did
    # not touch the form.
    duration = forms.CharField(
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "2:30"}),
        help_text="Seconds, or m:ss (at most 24 hours).",
    )
    outcome = forms.ChoiceField(
        required=False,
        choices=[("", "Auto (from the duration)"), *CallOutcome.choices],
        help_text="Auto: Completed if the call lasted; at 0 s, Missed for an inbound call and "
        "No Answer for an outbound one.",
    )
    called_at = forms.DateTimeField(
        label="When (IST)",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Leave empty for now.",
    )
    notes = TextBoxField(required=False, max_length=CALL_NOTES_LENGTH, rows=2)

    def clean_duration(self) -> int:
        text = self.cleaned_data["duration"].strip()
        match = re.fullmatch(r"(?:(\d{1,7}):)?(\d{1,10})", text)
        if not match:
            raise forms.ValidationError("Enter seconds (90) or minutes:seconds (1:30).")
        minutes, seconds = int(match[1] or 0), int(match[2])
        if match[1] and seconds >= 60:
            raise forms.ValidationError("Seconds after the colon must be below 60.")
        return minutes * 60 + seconds

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "call_type": data["call_type"],
            "duration_seconds": data["duration"],
            "outcome": data["outcome"] or form_outcome(data["duration"], data["call_type"]),
            "notes": data["notes"].strip() or None,
            "called_at": data["called_at"],
        }


class NoteForm(forms.Form):
    text = TextBoxField(label="Note", max_length=NOTES_MAX_LENGTH, rows=3)


class StatusForm(forms.Form):
    """The lead page's "Move to": a stage of the lead's pipeline (the lead's status becomes
    the stage's). A posted `status` alone still works, as it did before pipelines: the lead
    goes to the first stage of its pipeline with that status."""

    stage = forms.TypedChoiceField(label="Move to", required=False, coerce=uuid.UUID)
    status = forms.ChoiceField(choices=LeadStatus.choices, required=False)

    def __init__(self, *args, stages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = [(stage.pk, stage.name) for stage in stages]

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("stage") and not cleaned.get("status"):
            self.add_error("stage", "Choose the stage to move the lead to.")
        return cleaned
