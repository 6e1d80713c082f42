"""Assignment rules in the Django admin: added, edited and deleted through routing.services (the
same rules and one event each, as on Settings → Routing). A new rule goes last; the order is
changed on Settings → Routing. The log of routed leads is read-only."""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Q

from core.admin import ServiceAdmin, form_errors_from
from core.errors import ServiceError
from events.models import Channel
from events.services import Actor

from .models import AssignmentRule, RoutedLead
from .rules import RULE_FIELDS, clean_rule_fields, source_label
from .services import assignment_rule_create, assignment_rule_delete, assignment_rule_update


def _actor(request) -> Actor:
    return Actor.for_request(request, Channel.ADMIN)


class AssignmentRuleAdminForm(forms.ModelForm):
    """Checked with the rule's rules before saving, so refusals show next to their field. The
    reps are a field of the form's own (the services write the memberships, keeping each
    rep's place in the round robin)."""

    reps = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="New leads go to these reps in turn. Only active users can be chosen.",
    )

    class Meta:
        model = AssignmentRule
        fields = list(RULE_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        rule = self.instance
        current = list(rule.members.values_list("user_id", flat=True)) if rule.pk else []
        users = get_user_model().objects.filter(Q(is_active=True) | Q(pk__in=current))
        self.fields["reps"].queryset = users.order_by("email")
        self.fields["reps"].initial = current

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            cleaned.update(clean_rule_fields({name: cleaned.get(name) for name in RULE_FIELDS}))
        except ServiceError as error:
            form_errors_from(self, error)
            return cleaned
        others = AssignmentRule.objects.exclude(pk=self.instance.pk)
        if others.filter(name__iexact=cleaned["name"]).exists():
            self.add_error("name", "Another rule has this name.")
        rule = self.instance
        current = set(rule.members.values_list("user_id", flat=True)) if rule.pk else set()
        inactive = [
            user.email
            for user in cleaned.get("reps", [])
            if not user.is_active and user.pk not in current
        ]
        if inactive:
            self.add_error("reps", f"Only active users can be given leads: {', '.join(inactive)}.")
        return cleaned


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(ServiceAdmin):
    form = AssignmentRuleAdminForm
    list_display = ["name", "position", "source_shown", "active", "rep_list", "updated_at"]
    list_filter = ["active"]
    search_fields = ["name", "source"]
    ordering = ["position", "id"]
    readonly_fields = ["position", "created_at", "updated_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("members__user")

    @admin.display(description="Source", ordering="source")
    def source_shown(self, rule: AssignmentRule) -> str:
        return source_label(rule.source)

    @admin.display(description="Reps")
    def rep_list(self, rule: AssignmentRule) -> str:
        return ", ".join(member.user.email for member in rule.members.all())

    def get_fields(self, request, obj=None):
        if obj is None:
            return [*RULE_FIELDS, "reps"]
        return [*RULE_FIELDS, "reps", *self.readonly_fields]

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in RULE_FIELDS}
        reps = list(form.cleaned_data["reps"])
        if change:
            assignment_rule_update(actor=_actor(request), rule=obj, fields=fields, reps=reps)
        else:
            rule = assignment_rule_create(actor=_actor(request), fields=fields, reps=reps)
            obj.pk = rule.pk
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        pass  # the reps were written by the service (save_model)

    def delete_model(self, request, obj):
        assignment_rule_delete(actor=_actor(request), rule=obj)

    def delete_queryset(self, request, queryset):
        actor = _actor(request)
        for rule in queryset:
            assignment_rule_delete(actor=actor, rule=rule)


@admin.register(RoutedLead)
class RoutedLeadAdmin(admin.ModelAdmin):
    """What the rules routed, to whom: read-only (written with each routed lead)."""

    list_display = ["routed_at", "lead_name", "user", "rule_name"]
    list_filter = ["rule_name", "routed_at"]
    search_fields = ["lead_name", "=lead_id", "user__email", "rule_name"]
    list_select_related = ["user"]
    date_hierarchy = "routed_at"
    readonly_fields = [field.name for field in RoutedLead._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
