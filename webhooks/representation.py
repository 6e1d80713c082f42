"""Subscriptions, messages and the webhook bodies as the API (and the page) show them."""

from typing import Any

from core.dates import iso_utc

from .models import Attempt, Message, Subscription


def subscription_to_api(subscription: Subscription) -> dict[str, Any]:
    """Never the secret: it is shown once, by the create and rotate responses."""
    return {
        "id": str(subscription.id),
        "url": subscription.url,
        "events": list(subscription.events),
        "description": subscription.description,
        "enabled": subscription.enabled,
        "disabled_reason": subscription.disabled_reason or None,
        "owner": subscription.owner.email,
        "created_at": iso_utc(subscription.created_at),
        "updated_at": iso_utc(subscription.updated_at),
        "last_success_at": iso_utc(subscription.last_success_at)
        if subscription.last_success_at
        else None,
    }


def attempt_to_api(attempt: Attempt) -> dict[str, Any]:
    return {
        "at": iso_utc(attempt.at),
        "status": attempt.status,
        "error": attempt.error or None,
        "duration_ms": attempt.duration_ms,
        "response": attempt.response,
    }


def message_to_api(message: Message) -> dict[str, Any]:
    """A delivery: the message, its state and every attempt (attempts prefetched)."""
    return {
        "id": str(message.id),
        "webhook_id": message.webhook_id,
        "type": message.event_type,
        "state": message.state,
        "created_at": iso_utc(message.created_at),
        "next_attempt_at": iso_utc(message.next_attempt_at) if message.next_attempt_at else None,
        "failure_reason": message.failure_reason or None,
        "attempts": [attempt_to_api(attempt) for attempt in message.attempts.all()],
    }
