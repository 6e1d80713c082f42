"""Managing subscriptions: the API, the settings page and the admin all call these. Each change
is one event in the event stream (secrets never in it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.errors import Conflict, NotFound, ServiceError
from core.locking import joined_rows_current
from events.models import Verb
from events.services import Actor, diff, record_event

from . import outbox, rules
from .models import Message, Subscription
from .representation import subscription_to_api

EDITABLE_FIELDS = ("url", "events", "description", "enabled")


@dataclass(frozen=True)
class WithSecret:
    """A subscription and its secret in plain text: returned only on create and rotate."""

    subscription: Subscription
    secret: str


def clean_subscription_fields(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ServiceError("This field cannot be set (or does not exist).", sorted(unknown)[0])
    cleaned: dict[str, Any] = {}
    if "url" in fields:
        cleaned["url"] = rules.clean_url(fields["url"])
    if "events" in fields:
        cleaned["events"] = rules.clean_events(fields["events"])
    if "description" in fields:
        cleaned["description"] = rules.clean_description(fields["description"])
    if "enabled" in fields:
        if not isinstance(fields["enabled"], bool):
            raise ServiceError("Must be true or false.", "enabled")
        cleaned["enabled"] = fields["enabled"]
    return cleaned


def webhook_create(
    *, actor: Actor, url: str, events: list[str], description: str = ""
) -> WithSecret:
    fields = clean_subscription_fields({"url": url, "events": events, "description": description})
    if actor.user is None:
        raise ServiceError("A subscription belongs to a user.", "owner")
    with transaction.atomic():
        owned = Subscription.objects.select_for_update().filter(owner=actor.user)
        if len(owned) >= rules.MAX_SUBSCRIPTIONS_PER_USER:
            raise ServiceError(
                f"At most {rules.MAX_SUBSCRIPTIONS_PER_USER} subscriptions per user.", "url"
            )
        secret = rules.new_secret()
        subscription = Subscription.objects.create(owner=actor.user, secret=secret, **fields)
        after = subscription_to_api(subscription)
        _record(actor, Verb.WEBHOOK_CREATED, subscription, diff({}, _editable(after)), after)
    return WithSecret(subscription, secret)


def webhook_update(
    *, actor: Actor, subscription: Subscription, fields: dict[str, Any]
) -> Subscription:
    """Change url, events, description or enabled. Re-enabling clears the reason and starts
    the 24-hour auto-disable clock again; disabling ends pending messages as failed. An admin
    editing someone's subscription does not become its owner."""
    fields = clean_subscription_fields(fields)
    with transaction.atomic():
        subscription = _locked(actor, subscription.pk)
        before = subscription_to_api(subscription)
        enabling = fields.get("enabled") is True and not subscription.enabled
        disabling = fields.get("enabled") is False and subscription.enabled
        for name, value in fields.items():
            if name != "enabled":
                setattr(subscription, name, value)
        if enabling:
            subscription.enabled = True
            subscription.disabled_reason = ""
            subscription.enabled_since = timezone.now()
        subscription.save()
        if disabling:
            who = actor.user.email if actor.user is not None else "the system"
            outbox.disable(subscription, f"Disabled by {who}.")
        after = subscription_to_api(subscription)
        changes = diff(_editable(before), _editable(after))
        if changes:
            _record(actor, Verb.WEBHOOK_UPDATED, subscription, changes, after)
    return subscription


def webhook_rotate_secret(*, actor: Actor, subscription: Subscription) -> WithSecret:
    """A new secret; the old one keeps signing beside it for 24 hours."""
    with transaction.atomic():
        subscription = _locked(actor, subscription.pk)
        secret = rules.new_secret()
        subscription.previous_secret = subscription.secret
        subscription.previous_secret_expires_at = timezone.now() + dt.timedelta(
            hours=rules.ROTATION_OVERLAP_HOURS
        )
        subscription.secret = secret
        subscription.save()
        _record(
            actor, Verb.WEBHOOK_SECRET_ROTATED, subscription, {}, subscription_to_api(subscription)
        )
    return WithSecret(subscription, secret)


def webhook_ping(*, actor: Actor, subscription: Subscription) -> Message:
    """Queue a `ping` to this endpoint only."""
    with transaction.atomic():
        subscription = _locked(actor, subscription.pk)
        _require_enabled(subscription)
        return outbox.ping_message(subscription)


def webhook_resend(*, actor: Actor, message: Message) -> Message:
    """Send a delivery again (same webhook-id), from the start of the retry schedule."""
    with transaction.atomic():
        subscription = _locked(actor, message.subscription_id)
        _require_enabled(subscription)
        message = Message.objects.select_for_update().get(pk=message.pk)
        if message.claimed_until is not None and message.claimed_until > timezone.now():
            raise Conflict(
                "This delivery is being attempted right now: resend it once that attempt is "
                "logged (within a few seconds)."
            )
        outbox.resend(message)
    message.refresh_from_db()
    return message


def webhook_delete(*, actor: Actor, subscription: Subscription) -> None:
    """Delete the subscription with its delivery log; queued tasks then find nothing to do."""
    with transaction.atomic():
        subscription = _locked(actor, subscription.pk)
        _record(actor, Verb.WEBHOOK_DELETED, subscription, {}, subscription_to_api(subscription))
        subscription.delete()


def _require_enabled(subscription: Subscription) -> None:
    if not subscription.enabled:
        raise Conflict(
            "This subscription is disabled: enable it first (PATCH enabled: true).", "enabled"
        )


def _locked(actor: Actor, subscription_id) -> Subscription:
    found = (
        Subscription.objects.visible_to(actor.user)
        .select_related("owner")
        .select_for_update(of=("self",))
        .filter(pk=subscription_id)
        .first()
    )
    if found is None:
        raise NotFound("This webhook subscription does not exist (any more).")
    return joined_rows_current(found)


def _editable(representation: dict) -> dict:
    return {name: representation[name] for name in EDITABLE_FIELDS}


def _record(actor, verb, subscription, changes, snapshot) -> None:
    record_event(actor=actor, verb=verb, subject=subscription, changes=changes, snapshot=snapshot)
