"""The leads list's bulk actions: which leads (the ticked rows, the page, or every lead matching
the filters) and what to do to them. The form only reads what was chosen; leads.bulk decides
what each lead allows."""

import uuid

from django import forms

from accounts.models import User
from core.errors import ServiceError
from leads.bulk import MAX_LEADS
from leads.rules import MAX_TAG_LENGTH, LeadStatus, clean_lead_fields
from pipelines.models import Stage

from .forms import UNASSIGNED


class Action:
    ASSIGN = "assign"
    STATUS = "status"
    STAGE = "stage"
    ADD_TAG = "add_tag"
    REMOVE_TAG = "remove_tag"
    DELETE = "delete"


ACTIONS = [
    (Action.ASSIGN, "Assign to…"),
    (Action.STATUS, "Change status to…"),
    (Action.STAGE, "Move to stage…"),
    (Action.ADD_TAG, "Add tag…"),
    (Action.REMOVE_TAG, "Remove tag…"),
    (Action.DELETE, "Delete"),
]
# The field that says the action's value, and what to ask for when it is missing.
VALUE_OF = {
    Action.ASSIGN: ("assignee", "Choose whom to assign the leads to."),
    Action.STATUS: ("status", "Choose the status."),
    Action.STAGE: ("stage", "Choose the stage."),
    Action.ADD_TAG: ("tag", "Name the tag to add."),
    Action.REMOVE_TAG: ("tag", "Name the tag to remove."),
}


class Scope:
    SELECTED = "selected"
    PAGE = "page"
    MATCHING = "matching"


class LeadIdsField(forms.Field):
    """Lead ids, from checkboxes or hidden inputs (a list)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[uuid.UUID]:
        ids = []
        for text in value or []:
            try:
                ids.append(uuid.UUID(str(text)))
            except ValueError:
                raise forms.ValidationError("A lead id is a UUID.") from None
        return ids


def stage_choices() -> list:
    """Every active stage, grouped by its (active) pipeline, the default pipeline first."""
    stages = (
        Stage.objects.active()
        .filter(pipeline__archived_at__isnull=True)
        .select_related("pipeline")
        .order_by("-pipeline__is_default", "pipeline__name", "pipeline_id", "position", "id")
    )
    groups: dict = {}
    for stage in stages:
        groups.setdefault(stage.pipeline.name, []).append((str(stage.pk), stage.name))
    return [("", "Choose a stage"), *groups.items()]


class BulkActionForm(forms.Form):
    scope = forms.ChoiceField(
        label="Leads",
        widget=forms.RadioSelect,
        initial=Scope.SELECTED,
        choices=[(Scope.SELECTED, "Ticked"), (Scope.PAGE, "Page"), (Scope.MATCHING, "Matching")],
    )
    lead = LeadIdsField(required=False)
    page_lead = LeadIdsField(required=False)
    query = forms.CharField(required=False, max_length=4000, widget=forms.HiddenInput)
    action = forms.ChoiceField(label="Action", choices=[("", "Choose an action"), *ACTIONS])
    assignee = forms.ChoiceField(label="Assign to", required=False)
    # (Labelled apart from the filters' Status: one page, two menus a person must tell apart.)
    status = forms.ChoiceField(
        label="New status", required=False, choices=[("", "Choose a status"), *LeadStatus.choices]
    )
    stage = forms.ChoiceField(label="New stage", required=False)
    tag = forms.CharField(label="Tag", required=False, max_length=MAX_TAG_LENGTH)

    def __init__(self, data=None, *, assignees: list[tuple[str, str]], **kwargs):
        """`assignees`: (value, label) choices besides the empty one: an admin's every active
        user (by email) and "Unassigned"; a sales rep themselves (leads.rules)."""
        kwargs.setdefault("auto_id", "bulk_%s")  # the filters' fields have the plain ids
        super().__init__(data, **kwargs)
        self.fields["assignee"].choices = [("", "Choose a person"), *assignees]
        self.fields["stage"].choices = stage_choices()

    def scope_labels(self, *, on_page: int, matching: int, capped: bool) -> None:
        """Say how many leads each scope means (the list page knows)."""
        many = "+" if capped else ""
        self.fields["scope"].choices = [
            (Scope.SELECTED, "The leads ticked in the list"),
            (Scope.PAGE, f"Every lead on this page ({on_page:,})"),
            (
                Scope.MATCHING,
                f"Every lead matching the filters ({matching:,}{many}"
                + (f"; at most {MAX_LEADS:,} at a time)" if matching > MAX_LEADS else ")"),
            ),
        ]

    def clean(self):
        cleaned = super().clean()
        action = cleaned.get("action")
        if action in VALUE_OF:
            name, missing = VALUE_OF[action]
            value = (cleaned.get(name) or "").strip()
            if not value:
                self.add_error(name, missing)
            elif action == Action.ADD_TAG:
                # The tag rule (leads.rules) now, not after the confirmation.
                try:
                    clean_lead_fields({"tags": [value]})
                except ServiceError as error:
                    self.add_error(name, error.message)
            cleaned[name] = value
        scope = cleaned.get("scope")
        if scope == Scope.SELECTED and not cleaned.get("lead") and "lead" not in self.errors:
            self.add_error(
                "lead",
                "Tick the leads to act on, or choose every lead on the page or matching the "
                "filters.",
            )
        if scope == Scope.PAGE and not cleaned.get("page_lead"):
            self.add_error("page_lead", "There are no leads on this page.")
        return cleaned

    def first_error(self) -> str:
        for errors in self.errors.values():
            return errors[0]
        return ""

    def value_label(self) -> str:
        """The chosen value as the page shows it (the assignee, the stage with its pipeline)."""
        action = self.cleaned_data["action"]
        if action in (Action.ADD_TAG, Action.REMOVE_TAG):
            return self.cleaned_data["tag"]
        if action == Action.ASSIGN and self.cleaned_data["assignee"] != UNASSIGNED:
            return self.cleaned_data["assignee"]  # the email, not "Me (…)"
        if action in VALUE_OF:
            name = VALUE_OF[action][0]
            return dict(_flat(self.fields[name].choices)).get(self.cleaned_data[name], "")
        return ""


def assignee_choices(user: User, emails: list[str] | None = None) -> list[tuple[str, str]]:
    """Whom `user` may assign leads to: an admin anyone active (`emails`, when the caller read
    them already) or nobody; a sales rep only themselves."""
    if not user.is_admin:
        return [(user.email, f"Me ({user.email})")]
    if emails is None:
        emails = list(
            User.objects.filter(is_active=True).order_by("email").values_list("email", flat=True)
        )
    return [(UNASSIGNED, "Unassigned"), *((email, email) for email in emails)]


def _flat(choices):
    """(value, label) of every choice; a grouped one's label says its group: "Won (Sales)"."""
    for value, label in choices:
        if isinstance(label, list | tuple):
            yield from ((choice, f"{name} ({value})") for choice, name in label)
        else:
            yield value, label
