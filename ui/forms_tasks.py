"""Forms of the tasks' pages: add or edit a follow-up, snooze one, and log a call from a list."""

from typing import Any

from django import forms

from accounts.models import User
from tasks.rules import NOTES_MAX_LENGTH, TITLE_MAX_LENGTH, Snooze

from .forms import CallLogForm, TextBoxField


def _due_input() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class TaskForm(forms.Form):
    """Add or edit a follow-up. Admins pick who does it; a rep's tasks are their own (the
    service says so too)."""

    title = forms.CharField(max_length=TITLE_MAX_LENGTH)
    due_at = forms.DateTimeField(label="Due (IST)", widget=_due_input())
    assigned_to = forms.ModelChoiceField(
        label="Assigned to",
        queryset=User.objects.filter(is_active=True).order_by("email"),
        required=False,
        empty_label="The lead's assignee",
        to_field_name="email",
    )
    notes = TextBoxField(required=False, max_length=NOTES_MAX_LENGTH, rows=2)

    def __init__(self, *args, user: User, **kwargs):
        kwargs.setdefault("auto_id", "task-%s")  # (beside the call form on the lead's page)
        super().__init__(*args, **kwargs)
        if not user.is_admin:
            del self.fields["assigned_to"]

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        fields = {"title": data["title"], "due_at": data["due_at"], "notes": data["notes"] or None}
        if data.get("assigned_to"):
            fields["assigned_to"] = data["assigned_to"]
        return fields


class SnoozeForm(forms.Form):
    until = forms.ChoiceField(choices=Snooze.choices)


class QuickCallForm(CallLogForm):
    """Log a call without opening the lead: on a lead named by id (a row of Today), or on the
    lead with a phone number (the calls list: a number nobody has yet becomes a new lead)."""

    lead_id = forms.UUIDField(required=False, widget=forms.HiddenInput)
    phone = forms.CharField(
        label="Phone number",
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "placeholder": "+91 98765 43210"}),
        help_text="The lead with this number; a new lead if nobody has it.",
    )

    field_order = ["phone", "call_type", "duration", "outcome", "called_at", "notes"]

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("lead_id") and not (cleaned.get("phone") or "").strip():
            self.add_error("phone", "Enter the number you called or that called you.")
        return cleaned
