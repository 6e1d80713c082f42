"""Settings → Integrations → Webhooks: list, create, edit, re-enable, rotate the secret, send a
test ping, delete, and each subscription's delivery log with resend.

Admins manage every subscription, a sales rep their own (Subscription.objects.visible_to, the
API's rule). A secret is shown once, as API keys are: creating or rotating is a POST that
redirects (POST → redirect → GET), so a reload cannot make a second subscription; the secret
crosses the redirect in the server-side session, never in a URL, and the page that shows it
takes it out of the session. Every write goes through webhooks.services."""

from django.contrib import messages
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import ServiceError
from webhooks.models import Attempt, Message, Subscription
from webhooks.services import (
    webhook_create,
    webhook_delete,
    webhook_ping,
    webhook_resend,
    webhook_rotate_secret,
    webhook_update,
)

from ..forms import show_service_error
from ..forms_webhooks import DELIVERIES_PER_PAGE, DeliveryFilterForm, WebhookForm
from ..pagination import SortKey, paginate
from .common import actor_for, keep_secret_once, page, take_secret_once

REVEAL_SESSION_KEY = "webhooks:reveal"
NEWEST = (SortKey("created_at", descending=True), SortKey("id", descending=True))


def _manageable(request, subscription_id) -> Subscription:
    subscriptions = Subscription.objects.visible_to(request.user).select_related("owner")
    return get_object_or_404(subscriptions, pk=subscription_id)


def _reveal_once(request, subscription: Subscription, secret: str, *, rotated: bool):
    keep_secret_once(request, REVEAL_SESSION_KEY, subscription.pk, secret=secret, rotated=rotated)
    return redirect("webhooks:secret", subscription_id=subscription.pk)


def _refusal(error: ServiceError) -> str:
    if error.field == "enabled":  # the service's wording speaks to API clients
        return "This webhook is disabled: re-enable it first."
    return error.message


def _form_page(request, form: WebhookForm, *, subscription: Subscription | None):
    context = {"form": form, "subscription": subscription}
    return render(request, "webhooks/form.html", context, status=400 if form.errors else 200)


@page
def webhook_list(request):
    subscriptions = Subscription.objects.visible_to(request.user).select_related("owner")
    return render(request, "webhooks/list.html", {"subscriptions": subscriptions})


@page
@require_http_methods(["GET", "POST"])
def webhook_new(request):
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = webhook_create(
                actor=actor_for(request),
                url=data["url"],
                events=data["events"],
                description=data["description"],
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            return _reveal_once(request, created.subscription, created.secret, rotated=False)
    return _form_page(request, form, subscription=None)


@never_cache
@page
def webhook_secret(request, subscription_id):
    """The one and only showing of a secret, right after the POST that made it."""
    subscription = _manageable(request, subscription_id)
    reveal = take_secret_once(request, REVEAL_SESSION_KEY, subscription.pk)
    if reveal is None:
        messages.info(
            request,
            f"The secret of {subscription.url} was shown once, when it was made. If you did not "
            "copy it, rotate it.",
        )
        return redirect("webhooks:list")
    context = {
        "subscription": subscription,
        "secret": reveal["secret"],
        "rotated": reveal["rotated"],
    }
    return render(request, "webhooks/secret.html", context)


@page
@require_http_methods(["GET", "POST"])
def webhook_edit(request, subscription_id):
    subscription = _manageable(request, subscription_id)
    form = WebhookForm(request.POST or None, subscription=subscription)
    if request.method == "POST" and form.is_valid():
        try:
            webhook_update(
                actor=actor_for(request), subscription=subscription, fields=form.service_fields()
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Saved the webhook to {form.cleaned_data['url']}.")
            return redirect("webhooks:list")
    return _form_page(request, form, subscription=subscription)


@page
@require_POST
def webhook_enable(request, subscription_id):
    """The list's one-click Re-enable."""
    subscription = _manageable(request, subscription_id)
    try:
        webhook_update(
            actor=actor_for(request), subscription=subscription, fields={"enabled": True}
        )
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Re-enabled the webhook to {subscription.url}.")
    return redirect("webhooks:list")


@page
@require_http_methods(["GET", "POST"])
def webhook_rotate(request, subscription_id):
    subscription = _manageable(request, subscription_id)
    if request.method == "POST":
        try:
            rotated = webhook_rotate_secret(actor=actor_for(request), subscription=subscription)
        except ServiceError as error:
            messages.error(request, error.message)
            return redirect("webhooks:list")
        return _reveal_once(request, rotated.subscription, rotated.secret, rotated=True)
    context = {"subscription": subscription, "action": "rotate"}
    return render(request, "webhooks/confirm.html", context)


@page
@require_POST
def webhook_test(request, subscription_id):
    """Queue a ping to this endpoint; its delivery shows on the deliveries page."""
    subscription = _manageable(request, subscription_id)
    try:
        message = webhook_ping(actor=actor_for(request), subscription=subscription)
    except ServiceError as error:
        messages.error(request, _refusal(error))
        return redirect("webhooks:list")
    messages.success(request, f"Test ping queued, webhook-id {message.webhook_id}.")
    return redirect("webhooks:deliveries", subscription_id=subscription.pk)


@page
@require_http_methods(["GET", "POST"])
def webhook_delete_view(request, subscription_id):
    subscription = _manageable(request, subscription_id)
    if request.method == "POST":
        try:
            webhook_delete(actor=actor_for(request), subscription=subscription)
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"Deleted the webhook to {subscription.url}.")
        return redirect("webhooks:list")
    context = {"subscription": subscription, "action": "delete"}
    return render(request, "webhooks/confirm.html", context)


@page
def webhook_deliveries(request, subscription_id):
    """The delivery log, newest first, each message with every attempt."""
    subscription = _manageable(request, subscription_id)
    form = DeliveryFilterForm(request.GET)
    deliveries = Message.objects.filter(subscription=subscription).prefetch_related(
        Prefetch("attempts", queryset=Attempt.objects.order_by("at", "id"))
    )
    if form.chosen_state:
        deliveries = deliveries.filter(state=form.chosen_state)
    result = paginate(
        deliveries,
        NEWEST,
        after=request.GET.get("after", ""),
        before=request.GET.get("before", ""),
        size=DELIVERIES_PER_PAGE,
    )
    context = {"subscription": subscription, "form": form, "page": result}
    return render(request, "webhooks/deliveries.html", context)


@page
@require_POST
def webhook_resend_view(request, subscription_id, message_id):
    subscription = _manageable(request, subscription_id)
    message = get_object_or_404(Message, pk=message_id, subscription=subscription)
    try:
        message = webhook_resend(actor=actor_for(request), message=message)
    except ServiceError as error:
        messages.error(request, _refusal(error))
    else:
        messages.success(request, f"Resending webhook-id {message.webhook_id}.")
    return redirect("webhooks:deliveries", subscription_id=subscription.pk)
