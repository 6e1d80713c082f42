"""Settings → Integrations → API: list, create, edit, regenerate and revoke keys.

A raw key is shown once. Creating or regenerating one is a POST that redirects (POST → redirect
→ GET), so reloading the page cannot make a second key; the raw key crosses the redirect in the
server-side session, never in a URL, and the page that shows it takes it out of the session."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from apikeys.models import APIKey
from apikeys.services import apikey_create, apikey_regenerate, apikey_revoke, apikey_update
from core.errors import ServiceError

from ..forms import show_service_error
from ..forms_apikeys import APIKeyForm
from .common import actor_for, keep_secret_once, page, take_secret_once

REVEAL_SESSION_KEY = "apikeys:reveal"


def _manageable_key(request, key_id: int) -> APIKey:
    return get_object_or_404(APIKey.objects.manageable_by(request.user), pk=key_id)


def _reveal_once(request, api_key: APIKey, raw_key: str, *, regenerated: bool):
    keep_secret_once(
        request, REVEAL_SESSION_KEY, api_key.pk, raw_key=raw_key, regenerated=regenerated
    )
    return redirect("apikeys:created", key_id=api_key.pk)


def _form_page(request, form: APIKeyForm, *, api_key: APIKey | None):
    context = {
        "form": form,
        "api_key": api_key,
        "default_rate_limit": settings.API_RATE_LIMIT_PER_MINUTE,
    }
    return render(request, "apikeys/key_form.html", context, status=400 if form.errors else 200)


@page
def apikey_list(request):
    keys = APIKey.objects.manageable_by(request.user).select_related("user")
    return render(request, "apikeys/key_list.html", {"keys": keys})


@page
@require_http_methods(["GET", "POST"])
def apikey_new(request):
    form = APIKeyForm(request.POST or None, acting_user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            api_key, raw_key = apikey_create(
                actor=actor_for(request),
                name=data["name"],
                user=form.linked_user(),
                can_read=data["can_read"],
                can_write=data["can_write"],
                can_delete=data["can_delete"],
                allowed_ips=data["allowed_ips"],
                rate_limit_per_minute=data.get("rate_limit_per_minute"),
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            return _reveal_once(request, api_key, raw_key, regenerated=False)
    return _form_page(request, form, api_key=None)


@never_cache
@page
def apikey_created(request, key_id: int):
    """The one and only showing of a raw key, right after the POST that made it."""
    api_key = _manageable_key(request, key_id)
    reveal = take_secret_once(request, REVEAL_SESSION_KEY, api_key.pk)
    if reveal is None:
        messages.info(
            request,
            f"The key “{api_key.name}” was shown once, when it was made. If you did not copy it, "
            "regenerate it.",
        )
        return redirect("apikeys:list")
    context = {
        "api_key": api_key,
        "raw_key": reveal["raw_key"],
        "regenerated": reveal["regenerated"],
    }
    return render(request, "apikeys/key_created.html", context)


@page
@require_http_methods(["GET", "POST"])
def apikey_edit(request, key_id: int):
    api_key = _manageable_key(request, key_id)
    form = APIKeyForm(request.POST or None, instance=api_key, acting_user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            apikey_update(actor=actor_for(request), api_key=api_key, fields=form.cleaned_data)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Saved “{api_key.name}”.")
            return redirect("apikeys:list")
    return _form_page(request, form, api_key=api_key)


@page
@require_http_methods(["GET", "POST"])
def apikey_regenerate_view(request, key_id: int):
    api_key = _manageable_key(request, key_id)
    if not api_key.is_active:  # say so before asking to confirm
        messages.error(request, "A revoked key cannot be regenerated; create a new key instead.")
        return redirect("apikeys:list")
    if request.method == "POST":
        try:
            raw_key = apikey_regenerate(actor=actor_for(request), api_key=api_key)
        except ServiceError as error:
            messages.error(request, error.message)
            return redirect("apikeys:list")
        return _reveal_once(request, api_key, raw_key, regenerated=True)
    return render(request, "apikeys/key_confirm.html", {"api_key": api_key, "action": "regenerate"})


@page
@require_http_methods(["GET", "POST"])
def apikey_revoke_view(request, key_id: int):
    api_key = _manageable_key(request, key_id)
    if request.method == "POST":
        apikey_revoke(actor=actor_for(request), api_key=api_key)
        messages.success(request, f"Revoked “{api_key.name}”. It no longer works.")
        return redirect("apikeys:list")
    return render(request, "apikeys/key_confirm.html", {"api_key": api_key, "action": "revoke"})
