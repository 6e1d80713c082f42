"""Recording changes. `record_event` is the only writer of the event stream; every service calls
it once per change, inside the transaction that makes the change, so an event exists exactly
when its change was committed."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import connection, models

from core.dates import iso_utc
from core.http import request_client_ip

from .models import Channel, Event, Verb
from .signals import events_recorded

if TYPE_CHECKING:
    from accounts.models import User
    from apikeys.models import APIKey


@dataclass(frozen=True)
class Actor:
    """Who is acting, and through what: the user (None for the system itself), the channel, the
    API key for API requests, and the client address. Services take one so every event can say
    who did what; the adapters (API, pages, admin, commands) build it."""

    user: User | None
    channel: Channel
    api_key: APIKey | None = None
    ip: str | None = None

    @classmethod
    def system(cls, user: User | None = None, channel: Channel = Channel.SYSTEM) -> Actor:
        return cls(user=user, channel=channel)

    @classmethod
    def for_request(cls, request, channel: Channel, api_key: APIKey | None = None) -> Actor:
        """The logged-in user (or the API key's user) of a request, from its client address."""
        return cls(
            user=request.user, channel=channel, api_key=api_key, ip=request_client_ip(request)
        )

    @property
    def is_admin(self) -> bool:
        return self.user is not None and self.user.is_admin


def record_event(
    *,
    actor: Actor,
    verb: Verb,
    subject: models.Model,
    changes: dict[str, list] | None = None,
    lead_id: uuid.UUID | None = None,
    snapshot: dict | None = None,
) -> Event:
    """Write one event for a change made in the current transaction. `changes` holds
    {field: [previous, new]} in JSON-friendly values (see `plain`)."""
    if not connection.in_atomic_block:
        # Outside a transaction the change and its event could be committed one without the
        # other: a service that forgets its atomic block is a bug, caught here.
        raise RuntimeError("record_event must run inside the transaction that makes the change.")
    return record_events(
        actor=actor,
        verb=verb,
        subjects=[subject],
        changes=[changes or {}],
        lead_ids=[lead_id],
        snapshots=[snapshot],
    )[0]


def record_events(
    *,
    actor: Actor,
    verb: Verb,
    subjects: list[models.Model],
    changes: list[dict[str, list]],
    lead_ids: list[uuid.UUID | None],
    snapshots: list[dict | None],
) -> list[Event]:
    """record_event for several subjects changed the same way in one transaction (a bulk
    create), written in one statement."""
    if not connection.in_atomic_block:
        raise RuntimeError("record_event must run inside the transaction that makes the change.")
    user, api_key = actor.user, actor.api_key
    rows = [
        dict(
            verb=verb,
            subject_type=getattr(subject, "EVENT_SUBJECT", subject._meta.model_name),
            subject_id=str(subject.pk),
            subject_repr=str(subject)[:200],
            lead_id=lead_id,
            changes=subject_changes,
            snapshot=snapshot,
            channel=actor.channel,
            actor=user,
            actor_email=user.email if user is not None else "",
            api_key=api_key,
            api_key_label=str(api_key)[:200] if api_key is not None else "",
            ip=actor.ip,
        )
        for subject, subject_changes, lead_id, snapshot in zip(
            subjects, changes, lead_ids, snapshots, strict=True
        )
    ]
    if len(rows) == 1:
        events = [Event.objects.create(**rows[0])]
    else:
        events = Event.objects.bulk_create([Event(**row) for row in rows])
    events_recorded.send(sender=Event, events=events, actor=actor)
    return events


def plain(value: Any) -> Any:
    """A field value as it is written into `changes`: JSON types as they are, a related user
    as its email, amounts as numbers and times as the API writes them, anything else (UUIDs,
    dates) as text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.datetime):
        return iso_utc(value)
    if isinstance(value, Decimal):
        return float(value)  # as the API writes amounts
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if hasattr(value, "email") and isinstance(value, models.Model):
        return value.email
    return str(value)


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list]:
    """{field: [previous, new]} for the fields whose plain value differs."""
    changes = {}
    for name, new in after.items():
        old = plain(before.get(name))
        new = plain(new)
        if old != new:
            changes[name] = [old, new]
    return changes
