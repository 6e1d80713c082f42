"""Subscriptions, the messages owed to them (the outbox) and every attempt to deliver one."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from .rules import DESCRIPTION_MAX_LENGTH, URL_MAX_LENGTH


class SubscriptionQuerySet(models.QuerySet):
    def visible_to(self, user) -> "SubscriptionQuerySet":
        """Admins manage every subscription; a sales rep their own."""
        return self if user.is_admin else self.filter(owner=user)


class Subscription(models.Model):
    """A receiver's URL and the events it wants. It acts as its owner: it hears only about
    leads the owner can see when the event happens."""

    EVENT_SUBJECT = "webhook"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_subscriptions"
    )
    url = models.CharField(max_length=URL_MAX_LENGTH)
    events = models.JSONField(help_text='Event names, or ["*"] for all.')
    description = models.CharField(max_length=DESCRIPTION_MAX_LENGTH, blank=True)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    secret = models.CharField(max_length=100, editable=False)
    # During a rotation the old secret signs too, until previous_secret_expires_at.
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    # Since when it has been enabled (the 24-hour auto-disable counts from the later of this
    # and the last success).
    enabled_since = models.DateTimeField(default=timezone.now, editable=False)
    last_success_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["enabled"], name="webhook_sub_enabled_idx")]

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        return "*" in self.events or event_type in self.events

    def secrets(self, at) -> list[str]:
        """The secrets that sign a message sent at `at`: the current one, and the previous one
        during a rotation's overlap."""
        keys = [self.secret]
        if (
            self.previous_secret
            and self.previous_secret_expires_at
            and (at < self.previous_secret_expires_at)
        ):
            keys.append(self.previous_secret)
        return keys


class MessageState(models.TextChoices):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class Message(models.Model):
    """One event owed to one subscription: written in the transaction of the change it tells
    about (the outbox), so it exists exactly when the change was committed. Delivered at least
    once; every retry and resend carries the same `webhook_id`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No foreign-key constraint in the database, on purpose: every write with listeners inserts
    # messages, and the constraint's check would lock the subscription's row (FOR KEY SHARE) in
    # every one of those transactions, a hot row under load; and a subscription deleted while
    # a change is being written would make that change fail at commit. Deleting a subscription
    # deletes its messages (Django's CASCADE); a message written meanwhile is found orphaned by
    # its delivery task and deleted (webhooks.outbox.attempt).
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="messages", db_constraint=False
    )
    webhook_id = models.CharField(max_length=40, unique=True)
    event_type = models.CharField(max_length=32)
    event = models.ForeignKey(
        "events.Event", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(help_text="The JSON body, exactly as signed and sent.")
    created_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=10, choices=MessageState, default=MessageState.PENDING)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Attempts since the message was queued or resent (the retry schedule's position).
    attempts_in_series = models.PositiveIntegerField(default=0)
    # A worker delivering it holds it until then; another worker may take it after.
    claimed_until = models.DateTimeField(null=True, blank=True)
    # When the relay last handed it to the task queue (None: not handed since it became due).
    woken_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=MessageState.values), name="webhook_message_state"
            ),
            models.CheckConstraint(
                condition=~models.Q(state=MessageState.PENDING)
                | models.Q(next_attempt_at__isnull=False),
                name="webhook_pending_has_next_attempt",
            ),
        ]
        indexes = [
            models.Index(
                fields=["subscription", "-created_at"], name="webhook_msg_sub_created_idx"
            ),
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(state="pending"),
                name="webhook_msg_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.webhook_id} → {self.subscription_id} ({self.state})"


class Attempt(models.Model):
    """One HTTP request of a message, with what came back."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attempts")
    at = models.DateTimeField(default=timezone.now)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    response = models.TextField(blank=True, help_text="The first 1 KB of the response body.")

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.status or self.error}"


class WorkerHeartbeat(models.Model):
    """A task worker says it is alive every few seconds; a task left running by a worker that
    went silent is put back in the queue (webhooks.worker)."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    host = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "task worker"

    def __str__(self) -> str:
        return f"{self.worker_id} on {self.host} (pid {self.pid})"
