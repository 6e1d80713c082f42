"""The pipeline board's forms: its filters (the leads list's, less what a board has no use
for, plus the pipeline to show) and the move of one card."""

from collections.abc import Sequence

from django import forms

from accounts.models import User
from pipelines.models import Pipeline

from .forms import LeadFilterForm


class BoardFilterForm(LeadFilterForm):
    """The leads list's filters on the board. A column is a stage, so the status filter (a
    stage's status) and the list's sort and page size have no place here; `pipeline` picks the
    board, and `stage` the one column a phone shows (a tab), not a filter."""

    filter_names = ("q", "priority", "source", "assigned_to", "from_date", "to_date")

    pipeline = forms.ChoiceField(label="Pipeline", required=False)
    stage = forms.UUIDField(required=False, widget=forms.HiddenInput)

    field_order = ["pipeline", "q", "priority", "source", "assigned_to", "from_date", "to_date"]

    def __init__(self, data, *, user: User, sources: list[str], pipelines: Sequence[Pipeline]):
        self.pipelines = pipelines
        super().__init__(data, user=user, sources=sources)

    def customize(self) -> None:
        super().customize()
        for name in ("status", "sort", "per_page"):
            del self.fields[name]
        self.fields["pipeline"].choices = [(str(p.pk), p.name) for p in self.pipelines]

    @property
    def chosen(self) -> Pipeline | None:
        """The pipeline asked for, else the default one (None only when there is none)."""
        wanted = self.cleaned_data.get("pipeline")
        by_id = {str(pipeline.pk): pipeline for pipeline in self.pipelines}
        if wanted in by_id:
            return by_id[wanted]
        default = next((p for p in self.pipelines if p.is_default), None)
        return default or next(iter(self.pipelines), None)


class BoardMoveForm(forms.Form):
    """A card's "Move to…": the lead, the stage it goes to, and the board page to go back to."""

    lead_id = forms.UUIDField()
    stage_id = forms.UUIDField(label="Move to")
    next = forms.CharField(required=False, max_length=2000)
