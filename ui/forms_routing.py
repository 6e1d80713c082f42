"""The form of Settings → Routing. It only shapes the input; every rule (the name, the source,
active reps only, unique names) is routing.rules', reached through routing.services, whose
refusals show next to the field they name."""

from typing import Any

from django import forms
from django.db.models import Q

from accounts.models import User
from routing.models import AssignmentRule
from routing.rules import NAME_MAX_LENGTH, SOURCE_MAX_LENGTH

from .forms import UsersChoiceField


class RepChoiceField(UsersChoiceField):
    def label_from_instance(self, user: User) -> str:
        name = user.get_full_name()
        label = f"{name} ({user.email})" if name else user.email
        if not user.is_active:
            label += " — inactive: skipped"
        return label


class AssignmentRuleForm(forms.Form):
    """A new rule, or (with `rule`) an edit of one."""

    name = forms.CharField(max_length=NAME_MAX_LENGTH, strip=False)
    source = forms.CharField(
        label="Lead source",
        required=False,
        max_length=SOURCE_MAX_LENGTH,
        strip=False,
        widget=forms.TextInput(attrs={"list": "known-sources", "autocomplete": "off"}),
        help_text="New leads from this source (ignoring case), e.g. IVR. Empty: from any source.",
    )
    active = forms.BooleanField(
        label="Active", required=False, initial=True, help_text="An inactive rule routes nothing."
    )
    reps = RepChoiceField(
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one rep."},
    )

    def __init__(self, *args, rule: AssignmentRule | None = None, **kwargs):
        current = list(rule.members.values_list("user_id", flat=True)) if rule else []
        if rule is not None:
            kwargs.setdefault(
                "initial",
                {"name": rule.name, "source": rule.source, "active": rule.active, "reps": current},
            )
        super().__init__(*args, **kwargs)
        self.rule = rule
        # Active users; and a rep of this rule made inactive since, so that an edit shows them
        # (they are skipped) instead of dropping them unseen.
        users = User.objects.filter(Q(is_active=True) | Q(pk__in=current))
        self.fields["reps"].queryset = users.order_by("email")

    def service_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in ("name", "source", "active")}

    def service_reps(self) -> list[User]:
        return list(self.cleaned_data["reps"])
