from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.cache import never_cache

from core.admin import ServiceAdmin, form_errors_from
from core.errors import ServiceError
from events.models import Channel
from events.services import Actor

from .models import Attempt, Message, Subscription, WorkerHeartbeat
from .rules import ALL_EVENTS, EventType
from .services import (
    EDITABLE_FIELDS,
    clean_subscription_fields,
    webhook_create,
    webhook_delete,
    webhook_rotate_secret,
    webhook_update,
)

# The secret crosses the redirect after an add or a rotation in the session, never in a URL,
# and the page that shows it takes it out (as on Settings → Integrations → Webhooks).
REVEAL_SESSION_KEY = "webhooks:admin-reveal"
EVENT_CHOICES = [(ALL_EVENTS, "All events (*)"), *((name, name) for name in EventType.values)]


def _actor(request) -> Actor:
    return Actor.for_request(request, Channel.ADMIN)


class SubscriptionAdminForm(forms.ModelForm):
    """Checks with the webhook rules (webhooks.rules, through the service's cleaner) before
    saving, so refusals show next to their field; SubscriptionAdmin then saves through the
    services."""

    events = forms.MultipleChoiceField(
        choices=EVENT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text="“All events” alone, or the events wanted.",
    )

    class Meta:
        model = Subscription
        fields = list(EDITABLE_FIELDS)

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            shown = {name: cleaned.get(name) for name in EDITABLE_FIELDS if name in self.fields}
            cleaned.update(clean_subscription_fields(shown))
        except ServiceError as error:
            form_errors_from(self, error)
        return cleaned


class AttemptInline(admin.TabularInline):
    model = Attempt
    fields = ["at", "status", "error", "duration_ms", "response"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Subscription)
class SubscriptionAdmin(ServiceAdmin):
    """Added, edited and deleted through webhooks.services (validated and recorded like the API
    and the settings page). A subscription added here belongs to the admin adding it; its
    signing secret is shown once, right after the add or a rotation, and never again."""

    form = SubscriptionAdminForm
    list_display = ["url", "owner", "event_list", "enabled", "disabled_reason", "last_success_at",
                    "created_at"]  # fmt: skip
    list_filter = ["enabled", "created_at"]
    search_fields = ["url", "description", "owner__email", "=id"]
    list_select_related = ["owner"]
    readonly_fields = [
        "id", "owner", "secret_note", "disabled_reason", "created_at", "updated_at",
        "enabled_since", "last_success_at", "previous_secret_expires_at",
    ]  # fmt: skip
    actions = ["rotate_secret"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["url", "events", "description", "secret_note"]
        return ["url", "events", "description", "enabled", *self.readonly_fields]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["fields"] = ["url", "events", "description"]
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            form.base_fields["events"].initial = list(obj.events)
        return form

    @admin.display(description="Events")
    def event_list(self, subscription: Subscription) -> str:
        return ", ".join(subscription.events)

    @admin.display(description="Signing secret")
    def secret_note(self, subscription: Subscription) -> str:
        return (
            "Shown once, right after the subscription is added or its secret rotated (the "
            "“Rotate the signing secret” action); never stored in a way that can be shown "
            "again. The owner can also rotate it on Settings → Integrations → Webhooks."
        )

    def save_model(self, request, obj, form, change):
        if change:
            fields = {name: form.cleaned_data[name] for name in EDITABLE_FIELDS}
            webhook_update(actor=_actor(request), subscription=obj, fields=fields)
            obj.refresh_from_db()
            return
        created = webhook_create(
            actor=_actor(request),
            url=form.cleaned_data["url"],
            events=form.cleaned_data["events"],
            description=form.cleaned_data.get("description") or "",
        )
        obj.pk = created.subscription.pk
        obj.refresh_from_db()
        self._stash_secret(request, obj, created.secret)

    def response_add(self, request, obj, post_url_continue=None):
        return HttpResponseRedirect(reverse("admin:webhooks_subscription_secret", args=[obj.pk]))

    def delete_model(self, request, obj):
        webhook_delete(actor=_actor(request), subscription=obj)

    def delete_queryset(self, request, queryset):
        actor = _actor(request)
        for subscription in queryset:
            webhook_delete(actor=actor, subscription=subscription)

    @admin.action(description="Rotate the signing secret (select one)")
    def rotate_secret(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one subscription.", messages.WARNING)
            return None
        rotated = webhook_rotate_secret(actor=_actor(request), subscription=queryset.get())
        self._stash_secret(request, rotated.subscription, rotated.secret, rotated=True)
        return HttpResponseRedirect(
            reverse("admin:webhooks_subscription_secret", args=[rotated.subscription.pk])
        )

    def _stash_secret(self, request, subscription, secret: str, rotated: bool = False) -> None:
        request.session[REVEAL_SESSION_KEY] = {
            "subscription_id": str(subscription.pk),
            "secret": secret,
            "rotated": rotated,
        }

    def get_urls(self):
        secret_view = self.admin_site.admin_view(never_cache(self.secret_view))
        return [
            path("<uuid:object_id>/secret/", secret_view, name="webhooks_subscription_secret"),
            *super().get_urls(),
        ]

    def secret_view(self, request, object_id):
        """The one and only showing of a secret made in the admin."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        subscription = get_object_or_404(Subscription, pk=object_id)
        change_url = reverse("admin:webhooks_subscription_change", args=[subscription.pk])
        reveal = request.session.get(REVEAL_SESSION_KEY)
        if not reveal or reveal["subscription_id"] != str(subscription.pk):
            self.message_user(
                request,
                "The secret was shown once, when it was made. Rotate it to get a new one.",
                messages.INFO,
            )
            return HttpResponseRedirect(change_url)
        del request.session[REVEAL_SESSION_KEY]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Signing secret",
            "subscription": subscription,
            "secret": reveal["secret"],
            "rotated": reveal["rotated"],
            "change_url": change_url,
        }
        return TemplateResponse(request, "webhooks/admin_secret.html", context)


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """The delivery log: read-only (messages are written by the outbox; resend from the API
    or the settings page)."""

    list_display = ["created_at", "event_type", "webhook_id", "subscription", "state",
                    "attempt_count", "failure_reason"]  # fmt: skip
    list_filter = ["state", "event_type", "created_at"]
    search_fields = ["=webhook_id", "=id", "subscription__url"]
    list_select_related = ["subscription"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in Message._meta.fields]
    inlines = [AttemptInline]
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(attempt_total=Count("attempts"))

    @admin.display(description="Attempts", ordering="attempt_total")
    def attempt_count(self, message: Message) -> int:
        return message.attempt_total

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    """Task workers that said they are alive (written by webhooks.worker): read-only."""

    list_display = ["worker_id", "host", "pid", "started_at", "seen_at"]
    readonly_fields = ["worker_id", "host", "pid", "started_at", "seen_at"]
    ordering = ["-seen_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
