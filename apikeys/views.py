"""Settings → Integrations → API: list, create, edit, regenerate and revoke keys."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from audit.services import Actor
from crm.errors import ServiceError

from .forms import APIKeyForm
from .models import APIKey
from .network import request_client_ip
from .services import apikey_create, apikey_regenerate, apikey_revoke, apikey_update


def _manageable_key(request, key_id: int) -> APIKey:
    return get_object_or_404(APIKey.objects.manageable_by(request.user), pk=key_id)


def _actor(request) -> Actor:
    return Actor(user=request.user, ip=request_client_ip(request))


def _show_raw_key(request, api_key: APIKey, raw_key: str, *, regenerated: bool):
    """The one and only time a raw key is shown: in the response to the POST that made it,
    never stored (the calling views are @never_cache, so never cached either)."""
    return render(
        request,
        "apikeys/key_created.html",
        {"api_key": api_key, "raw_key": raw_key, "regenerated": regenerated},
    )


def _form_page(request, form: APIKeyForm, *, api_key: APIKey | None):
    context = {
        "form": form,
        "api_key": api_key,
        "default_rate_limit": settings.API_RATE_LIMIT_PER_MINUTE,
    }
    return render(request, "apikeys/key_form.html", context)


@login_required
def apikey_list(request):
    keys = APIKey.objects.manageable_by(request.user).select_related("user")
    return render(request, "apikeys/key_list.html", {"keys": keys})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def apikey_new(request):
    form = APIKeyForm(request.POST or None, acting_user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        api_key, raw_key = apikey_create(
            actor=_actor(request),
            name=data["name"],
            user=form.linked_user(),
            can_read=data["can_read"],
            can_write=data["can_write"],
            can_delete=data["can_delete"],
            allowed_ips=data["allowed_ips"],
            rate_limit_per_minute=data.get("rate_limit_per_minute"),
        )
        return _show_raw_key(request, api_key, raw_key, regenerated=False)
    return _form_page(request, form, api_key=None)


@login_required
@require_http_methods(["GET", "POST"])
def apikey_edit(request, key_id: int):
    api_key = _manageable_key(request, key_id)
    form = APIKeyForm(request.POST or None, instance=api_key, acting_user=request.user)
    if request.method == "POST" and form.is_valid():
        apikey_update(actor=_actor(request), api_key=api_key, fields=form.cleaned_data)
        messages.success(request, f"Saved “{api_key.name}”.")
        return redirect("apikeys:list")
    return _form_page(request, form, api_key=api_key)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def apikey_regenerate_view(request, key_id: int):
    api_key = _manageable_key(request, key_id)
    if not api_key.is_active:  # say so before asking to confirm
        messages.error(request, "A revoked key cannot be regenerated; create a new key instead.")
        return redirect("apikeys:list")
    if request.method == "POST":
        try:
            raw_key = apikey_regenerate(actor=_actor(request), api_key=api_key)
        except ServiceError as error:
            messages.error(request, error.message)
            return redirect("apikeys:list")
        return _show_raw_key(request, api_key, raw_key, regenerated=True)
    return render(request, "apikeys/key_confirm.html", {"api_key": api_key, "action": "regenerate"})


@login_required
@require_http_methods(["GET", "POST"])
def apikey_revoke_view(request, key_id: int):
    api_key = _manageable_key(request, key_id)
    if request.method == "POST":
        apikey_revoke(actor=_actor(request), api_key=api_key)
        messages.success(request, f"Revoked “{api_key.name}”. It no longer works.")
        return redirect("apikeys:list")
    return render(request, "apikeys/key_confirm.html", {"api_key": api_key, "action": "revoke"})
