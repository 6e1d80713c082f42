"""What every sales page shares: login, IST display, the acting user, row-level security."""

import logging
import uuid
from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import get_object_or_404

from events.models import Channel
from events.services import Actor
from leads import tally
from leads.models import Lead

logger = logging.getLogger(__name__)

# Suggestions for a new lead's source, besides the sources already in use.
COMMON_SOURCES = ("Website", "IVR", "Referral", "Walk-in", "Facebook Ads", "Google Ads")


def page(view: Callable) -> Callable:
    """A sales page: login required. (Times render in IST through
    ui.middleware.DisplayTimeZoneMiddleware.)"""
    return wraps(view)(login_required(view))


def actor_for(request) -> Actor:
    return Actor.for_request(request, Channel.WEB)


def keep_secret_once(request, slot: str, subject_id, **shown) -> None:
    """Keep what a POST just made (a raw API key, a webhook secret) for the one page that shows
    it after the redirect (POST → redirect → GET): in the server-side session, never in a URL,
    so a reload cannot make another and nothing logs it."""
    request.session[slot] = {"subject_id": str(subject_id), **shown}


def take_secret_once(request, slot: str, subject_id) -> dict | None:
    """What keep_secret_once kept for this subject, taken out of the session (shown once), or
    None when it was shown already."""
    kept = request.session.get(slot)
    if not kept or kept["subject_id"] != str(subject_id):
        return None
    del request.session[slot]
    return kept


def visible_lead(request, lead_id) -> Lead:
    """The lead, if this user may see it; a lead they may not see does not exist (404)."""
    try:
        lead_id = uuid.UUID(str(lead_id))
    except ValueError:
        raise Http404("No such lead.") from None
    leads = Lead.objects.visible_to(request.user).select_related("assigned_to", "stage__pipeline")
    return get_object_or_404(leads, pk=lead_id)


SOURCES_CACHE_SECONDS = 300


def lead_sources(user) -> list[str]:
    """The distinct sources among the leads `user` sees, for the source filter and the new-lead
    suggestions, read from the lead counts (leads.tally.sources: every day's cells, so a few
    ms), and cached for a few minutes: a brand-new source shows up in the menus a little late,
    never in the data."""
    scope = "all" if user.is_admin else f"user-{user.pk}"
    try:
        return cache.get_or_set(
            f"ui:lead-sources:{scope}", lambda: tally.sources(user), SOURCES_CACHE_SECONDS
        )
    except Exception:  # (the cache, Redis, unreachable: read them, uncached)
        logger.warning("The cache is unreachable: the lead sources are read uncached")
        return tally.sources(user)
