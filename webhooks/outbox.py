"""The outbox: a change's messages are written in the change's own transaction; a relay hands
them to task workers through Django's Tasks API; workers deliver them, at least once, however
processes die.

How nothing is lost:
- `fan_out` runs inside the transaction that records the events (events_recorded): a message
  exists exactly when its change was committed. That is all a request pays: one INSERT.
- `relay`, run every WEBHOOK_RELAY_INTERVAL_MS by every worker's supervisor (webhooks.worker),
  hands due messages to the task queue in batches (`deliver` tasks), marking them handed
  (`woken_at`) in the same transaction; rows locked with SKIP LOCKED, so two relays never hand
  the same message. A message handed long ago (WEBHOOK_SWEEP_AFTER_SECONDS) and still not
  taken is handed again: its task was lost (Redis restarted, a worker killed before starting).
- `attempt` claims a message with a hold (one conditional UPDATE: two workers never send the
  same attempt), sends it, and records the outcome only if it still holds it. A failure makes
  the message due again later, when the relay hands it again: retries need no scheduler.
- A worker that dies mid-delivery leaves its hold expiring: the relay then hands the message
  again; its task, left "running", is put back in the queue by a supervisor (webhooks.worker).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from events.models import Event, Verb
from leads.models import Lead

from . import rules
from .delivery import send, signed_headers
from .models import Attempt, Message, MessageState, Subscription
from .selectors import listening_subscriptions

logger = logging.getLogger(__name__)

# How precisely a subscription's last success is kept (the 24-hour auto-disable reads it).
SUCCESS_RESOLUTION = dt.timedelta(seconds=5)
# Messages per delivery task: a task's own bookkeeping is paid once per batch, and a backlog
# still spreads over every worker.
BATCH = 10


def fan_out(sender, *, events: list[Event], actor, **kwargs) -> None:
    """events_recorded receiver: the messages these events owe to enabled subscriptions whose
    owner may see the lead concerned (row-level security, at the time of the event)."""
    sendable = [
        (event, rules.EVENT_TYPE_OF_VERB[event.verb])
        for event in events
        if event.verb in rules.EVENT_TYPE_OF_VERB
        and not (event.verb == Verb.LEAD_MERGED and not event.changes)  # nothing changed
    ]
    if not sendable:
        return
    subscriptions = listening_subscriptions()
    if not subscriptions:
        return
    assignees: dict[uuid.UUID, int | None] = {}
    messages = []
    for event, event_type in sendable:
        body = None
        for subscription in subscriptions:
            if not subscription.wants(event_type):
                continue
            if not _may_see(subscription.owner, event, assignees):
                continue
            body = body or _body(event, event_type)
            messages.append(_message(subscription, event_type, body, event))
    if messages:
        Message.objects.bulk_create(messages)


def _may_see(owner, event: Event, assignees: dict) -> bool:
    """leads.rules.can_see for the lead as the event left it (for a deletion, as it was); a
    task is also seen by its assignee (tasks.rules.visible_tasks)."""
    if owner.is_admin:
        return True
    if event.subject_type == "lead":
        assignee_email = (event.snapshot or {}).get("assigned_to")
        return assignee_email is not None and assignee_email == owner.email
    if event.subject_type == "task" and (event.snapshot or {}).get("assigned_to") == owner.email:
        return True  # (a rep sees the tasks assigned to them, whoever's lead they are on)
    if event.lead_id is None:
        return False
    if event.lead_id not in assignees:
        assignees[event.lead_id] = (
            Lead.objects.filter(pk=event.lead_id).values_list("assigned_to_id", flat=True).first()
        )
    return assignees[event.lead_id] == owner.pk


def _message(subscription, event_type, body: str, event=None) -> Message:
    return Message(
        subscription=subscription,
        webhook_id=f"msg_{uuid.uuid4().hex}",
        event_type=event_type,
        event=event,
        body=body,
        next_attempt_at=timezone.now(),
    )


def _body(event: Event, event_type: str) -> str:
    data: dict = {"object": event.snapshot}
    if event_type.endswith(".updated"):
        data["previous_attributes"] = {
            name: values[0] for name, values in event.changes.items() if name != "updated_at"
        }
    if event.verb == Verb.LEAD_CREATED:
        # The assignment rule that gave the new lead to its rep (routing), else null.
        data["assigned_by_rule"] = event.changes.get("assigned_by_rule", [None, None])[1]
    key = event.api_key
    data["actor"] = {
        "email": event.actor_email or None,
        "api_key": {"name": key.name, "prefix": key.prefix} if key is not None else None,
        "channel": event.channel,
    }
    return dumps({"type": event_type, "timestamp": timestamp(event.occurred_at), "data": data})


def ping_message(subscription: Subscription) -> Message:
    body = dumps(
        {
            "type": rules.PING,
            "timestamp": timestamp(timezone.now()),
            "data": {"subscription_id": str(subscription.pk)},
        }
    )
    message = _message(subscription, rules.PING, body)
    message.save(force_insert=True)
    return message


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def timestamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- Relay and delivery ----------------------------------------------------------------------


def relay(now: dt.datetime | None = None, limit: int = 500) -> int:
    """Hand due messages to the task queue: those never handed, and those handed so long ago
    that their task must have been lost; none held by a worker. Returns how many."""
    now = now or timezone.now()
    lost = now - dt.timedelta(seconds=settings.WEBHOOK_SWEEP_AFTER_SECONDS)
    due = (
        Message.objects.filter(state=MessageState.PENDING, next_attempt_at__lte=now)
        .filter(Q(woken_at__isnull=True) | Q(woken_at__lt=lost))
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
    )
    if not due.exists():  # (idle: no transaction, which on SQLite would take the write lock)
        return 0
    with transaction.atomic():
        ids = list(
            due.select_for_update(skip_locked=True)
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return 0
        Message.objects.filter(pk__in=ids).update(woken_at=now)
        batches = [[str(pk) for pk in ids[i : i + BATCH]] for i in range(0, len(ids), BATCH)]
        if _backend_is_transactional():  # the tasks commit with the marks, or neither does
            _enqueue(batches)
        else:  # (a crash between commit and enqueue: handed again after the sweep delay)
            transaction.on_commit(lambda: _enqueue(batches), robust=True)
    return len(ids)


def _enqueue(batches: list[list[str]]) -> None:
    for batch in batches:
        deliver.enqueue(batch)


def _backend_is_transactional() -> bool:
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(deliver.get_backend(), DatabaseBackend)


@task()
def deliver(message_ids: list[str]) -> dict[str, int]:
    """Attempt each message (those another worker holds, or that ended, are skipped)."""
    outcomes: dict[str, int] = {}
    for message_id in message_ids:
        outcome = attempt(message_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def attempt(message_id: str) -> str:
    """Make the message's next attempt, if it is due and nobody else holds it. Returns what
    happened, for the task's result."""
    now = timezone.now()
    # The hold covers the whole attempt (DNS, then the timeout) and its bookkeeping; its exact
    # value is this attempt's token: only the holder may record the outcome.
    lease = now + dt.timedelta(seconds=rules.DNS_TIMEOUT_SECONDS + rules.timeout_seconds() + 5)
    claimed = (
        Message.objects.filter(
            pk=message_id,
            state=MessageState.PENDING,
            next_attempt_at__lte=now + dt.timedelta(seconds=1),
        )
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=lease, woken_at=None)
    )
    if not claimed:
        return "not due, ended or held elsewhere"
    message = Message.objects.select_related("subscription").filter(pk=message_id).first()
    if message is None:  # its subscription was deleted while the change was being written
        Message.objects.filter(pk=message_id).delete()
        return "subscription deleted"
    subscription = message.subscription
    if not subscription.enabled:
        _fail(message, f"The subscription is disabled: {subscription.disabled_reason}")
        return "failed"
    sent_at = timezone.now()
    headers = signed_headers(
        message.webhook_id, message.body, subscription.secrets(sent_at), sent_at
    )
    outcome = send(subscription.url, message.body, headers)
    return _record(message, lease, sent_at, outcome)


def _record(message: Message, lease: dt.datetime, sent_at: dt.datetime, outcome) -> str:
    """Log the attempt and move the message on: delivered, failed, or due again later."""
    now = timezone.now()
    changes: dict = {"claimed_until": None}
    retry_at = None
    if outcome.ok:
        changes.update(state=MessageState.DELIVERED, next_attempt_at=None, failure_reason="")
    elif outcome.status == 410:
        reason = "The receiver answered 410 Gone."
        changes.update(state=MessageState.FAILED, next_attempt_at=None, failure_reason=reason)
    else:
        attempts = message.attempts_in_series + 1
        delay = rules.next_delay(attempts, outcome.retry_after)
        changes["attempts_in_series"] = attempts
        if delay is None:
            reason = _describe(outcome)
            changes.update(state=MessageState.FAILED, next_attempt_at=None, failure_reason=reason)
        else:
            retry_at = now + dt.timedelta(seconds=delay)
            changes["next_attempt_at"] = retry_at
    with transaction.atomic():
        Attempt.objects.create(
            message=message,
            at=sent_at,
            status=outcome.status,
            error=outcome.error,
            duration_ms=outcome.duration_ms,
            response=outcome.response,
        )
        held = Message.objects.filter(pk=message.pk, claimed_until=lease)
        if not outcome.ok:
            held = held.filter(state=MessageState.PENDING)
        # A success counts even if the subscription was disabled during the attempt (the
        # receiver has the message); anything else on a message that ended meanwhile, or that
        # another worker took over after this hold expired, is only logged.
        if not held.update(**changes):
            return "ended meanwhile"
        subscription = message.subscription
        if outcome.ok:
            last = subscription.last_success_at
            if last is None or last < now - SUCCESS_RESOLUTION:
                _note_success(subscription.pk, now)
        elif outcome.status == 410:
            subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
            when = f"{now:%Y-%m-%d %H:%M} UTC"
            disable(subscription, f"The receiver answered 410 Gone on {when}.", keep=message.pk)
        elif retry_at is None:
            _disable_if_silent(subscription.pk, now)
    return changes.get("state", MessageState.PENDING)


def _describe(outcome) -> str:
    detail = f"HTTP {outcome.status}" if outcome.status is not None else outcome.error
    return f"Every attempt failed; the last: {detail}"[:300]


def _fail(message: Message, reason: str) -> None:
    Message.objects.filter(pk=message.pk, state=MessageState.PENDING).update(
        state=MessageState.FAILED, next_attempt_at=None, claimed_until=None,
        failure_reason=reason[:300],
    )  # fmt: skip


def _note_success(subscription_id, now: dt.datetime) -> None:
    """last_success_at, written at most every few seconds: every delivery to one subscription
    writing its row would make the workers queue on that row's lock."""
    Subscription.objects.filter(pk=subscription_id).filter(
        Q(last_success_at__isnull=True) | Q(last_success_at__lt=now - SUCCESS_RESOLUTION)
    ).update(last_success_at=now)


def _disable_if_silent(subscription_id, now: dt.datetime) -> None:
    """A message failed all its attempts: if nothing has been delivered for 24 hours (since
    the last success, or since it was enabled), the subscription is disabled."""
    subscription = Subscription.objects.select_for_update().get(pk=subscription_id)
    if not subscription.enabled:
        return
    since = max(filter(None, [subscription.last_success_at, subscription.enabled_since]))
    if now - since >= dt.timedelta(hours=rules.AUTO_DISABLE_HOURS):
        disable(
            subscription,
            f"No successful delivery for {rules.AUTO_DISABLE_HOURS} hours "
            f"(disabled on {now:%Y-%m-%d %H:%M} UTC).",
        )


def disable(subscription: Subscription, reason: str, keep=None) -> None:
    """Disable a subscription; its pending messages end as failed with the reason."""
    subscription.enabled = False
    subscription.disabled_reason = reason[:300]
    subscription.save(update_fields=["enabled", "disabled_reason", "updated_at"])
    pending = Message.objects.filter(subscription=subscription, state=MessageState.PENDING)
    if keep is not None:
        pending = pending.exclude(pk=keep)
    pending.update(  # (a hold is kept: an attempt in flight may still record a success)
        state=MessageState.FAILED,
        next_attempt_at=None,
        failure_reason=f"The subscription was disabled: {reason}"[:300],
    )


def resend(message: Message) -> None:
    """Send a message again from the start of the retry schedule, with its webhook-id."""
    Message.objects.filter(pk=message.pk).update(
        state=MessageState.PENDING, attempts_in_series=0, next_attempt_at=timezone.now(),
        claimed_until=None, woken_at=None, failure_reason="",
    )  # fmt: skip
