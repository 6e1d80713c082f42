"""The forms of Settings → Pipelines. They only shape the input; every rule (names, the six
statuses, the probability's and rotting days' ranges, unique names) is pipelines.rules',
reached through pipelines.services, whose refusals show next to the field they name.

A new pipeline's stages are a formset that starts with the default pipeline's six stages filled
in and a few empty rows: it works without JavaScript, and a row left without a name is left out.
The service reports a bad stage without saying which row it is in, so each row is checked with
the rules (pipelines.rules.clean_stage_fields) here first, to put the error on its row."""

from typing import Any

from django import forms

from core.errors import ServiceError
from pipelines.models import Pipeline, Stage
from pipelines.rules import (
    DEFAULT_STAGES,
    MAX_ROTTING_DAYS,
    MAX_STAGES,
    NAME_MAX_LENGTH,
    STAGE_FIELDS,
    LeadStatus,
    clean_stage_fields,
)

from .forms import show_service_error

EMPTY_STAGE_ROWS = 4


def _probability_field(**kwargs) -> forms.IntegerField:
    # The range is the rules' (0-100); the attributes only help the browser's number input.
    return forms.IntegerField(
        label="Win probability (%)",
        widget=forms.NumberInput(attrs={"min": 0, "max": 100, "inputmode": "numeric"}),
        **kwargs,
    )


def _rotting_days_field(help_text: str = "") -> forms.IntegerField:
    return forms.IntegerField(
        label="Rotting after (days)",
        required=False,
        widget=forms.NumberInput(attrs={"min": 1, "max": MAX_ROTTING_DAYS, "inputmode": "numeric"}),
        help_text=help_text,
    )


class PipelineForm(forms.Form):
    """A new pipeline's name and whether it is the default; or (with `pipeline`) a rename."""

    name = forms.CharField(max_length=NAME_MAX_LENGTH, strip=False)
    is_default = forms.BooleanField(
        label="Make this the default pipeline",
        required=False,
        help_text="New leads that name no pipeline go to the default pipeline.",
    )

    def __init__(self, *args, pipeline: Pipeline | None = None, **kwargs):
        if pipeline is not None:
            kwargs.setdefault("initial", {"name": pipeline.name, "is_default": pipeline.is_default})
        super().__init__(*args, **kwargs)
        self.pipeline = pipeline
        if pipeline is not None and pipeline.is_default:
            # A default is changed by choosing another pipeline, never by unsetting it.
            field = self.fields["is_default"]
            field.disabled = True
            field.label = "This is the default pipeline"
            field.help_text = "To change it, make another pipeline the default."

    def service_fields(self) -> dict[str, Any]:
        return {"name": self.cleaned_data["name"], "is_default": self.cleaned_data["is_default"]}


class StageForm(forms.Form):
    """Add a stage to a pipeline, or (with `stage`) edit one. A stage holding leads keeps its
    status: its leads report it (move them first)."""

    name = forms.CharField(max_length=NAME_MAX_LENGTH, strip=False)
    status = forms.ChoiceField(
        choices=LeadStatus.choices,
        initial=LeadStatus.NEW,
        help_text="What its leads report in lists, filters and the API.",
    )
    probability = _probability_field(initial=0)
    rotting_days = _rotting_days_field(
        "A lead left unchanged this long in the stage is flagged. Empty: never."
    )

    def __init__(self, *args, stage: Stage | None = None, lead_count: int = 0, **kwargs):
        if stage is not None:
            kwargs.setdefault("initial", {name: getattr(stage, name) for name in STAGE_FIELDS})
        super().__init__(*args, **kwargs)
        if stage is not None and lead_count:
            status = self.fields["status"]
            status.disabled = True
            status.help_text = (
                f"It holds {lead_count} lead{'s' if lead_count != 1 else ''}: move them to "
                "another stage before changing its status."
            )

    def service_fields(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class StageRowForm(forms.Form):
    """One stage of a new pipeline. A row without a name is left out."""

    name = forms.CharField(max_length=NAME_MAX_LENGTH, required=False, strip=False)
    status = forms.ChoiceField(choices=[("", "—"), *LeadStatus.choices], required=False)
    probability = _probability_field(required=False)
    rotting_days = _rotting_days_field()  # (the page explains the columns once, under the rows)

    @property
    def is_blank(self) -> bool:
        return not (self.cleaned_data.get("name") or "").strip()

    def clean(self):
        cleaned = super().clean()
        if self.errors or self.is_blank:
            return cleaned
        if not cleaned.get("status"):
            self.add_error("status", "Choose the status its leads report.")
            return cleaned
        try:
            cleaned.update(clean_stage_fields(self.service_fields()))
        except ServiceError as error:
            show_service_error(self, error)
        return cleaned

    def service_fields(self) -> dict[str, Any]:
        fields = dict(self.cleaned_data)
        if fields.get("probability") is None:
            fields.pop("probability", None)  # the stage's default, 0
        return fields


class BaseStageRows(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        seen = set()
        for form in self.forms:
            if form.is_blank:
                continue
            name = form.cleaned_data["name"].casefold()
            if name in seen:
                form.add_error("name", "Two stages have the same name.")
            seen.add(name)

    def stages(self) -> list[dict[str, Any]]:
        """The named rows, in order, as the service takes them."""
        return [form.service_fields() for form in self.forms if not form.is_blank]


StageRows = forms.formset_factory(
    StageRowForm,
    formset=BaseStageRows,
    extra=EMPTY_STAGE_ROWS,
    max_num=MAX_STAGES,
    absolute_max=MAX_STAGES,
    validate_max=True,
)


def stage_rows(data=None) -> BaseStageRows:
    """The new pipeline's stage rows: the default pipeline's six filled in, then empty rows."""
    initial = [
        {"name": status.label, "status": status.value, "probability": chance}
        for status, chance in DEFAULT_STAGES
    ]
    return StageRows(data, initial=initial, prefix="stages")
