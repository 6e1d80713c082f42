"""The event stream: one immutable row per change to a lead, a call log, a note or an API key,
written in the change's own transaction (events.services.record_event). A lead's timeline,
the audit log and (later) outbound webhooks all read it."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Channel(models.TextChoices):
    """Where a change came in."""

    API = "api", "API"
    WEB = "web", "Web app"
    ADMIN = "admin", "Django admin"
    IMPORT = "import", "Import"
    SYSTEM = "system", "System"


class Verb(models.TextChoices):
    LEAD_CREATED = "lead.created"
    LEAD_MERGED = "lead.merged"  # a duplicate sent to the create endpoint, folded into a lead
    LEAD_UPDATED = "lead.updated"
    LEAD_DELETED = "lead.deleted"
    LEAD_NOTE_ADDED = "lead.note_added"
    CALL_LOG_CREATED = "call_log.created"
    CALL_LOG_UPDATED = "call_log.updated"
    CALL_LOG_DELETED = "call_log.deleted"
    API_KEY_CREATED = "api_key.created"
    API_KEY_UPDATED = "api_key.updated"
    API_KEY_REGENERATED = "api_key.regenerated"
    API_KEY_REVOKED = "api_key.revoked"
    WEBHOOK_CREATED = "webhook.created"
    WEBHOOK_UPDATED = "webhook.updated"
    WEBHOOK_SECRET_ROTATED = "webhook.secret_rotated"  # noqa: S105 (a verb, not a secret)
    WEBHOOK_DELETED = "webhook.deleted"
    PIPELINE_CREATED = "pipeline.created"
    PIPELINE_UPDATED = "pipeline.updated"
    PIPELINE_ARCHIVED = "pipeline.archived"
    STAGE_CREATED = "stage.created"
    STAGE_UPDATED = "stage.updated"
    STAGE_ARCHIVED = "stage.archived"
    TASK_CREATED = "task.created"
    TASK_UPDATED = "task.updated"
    TASK_DELETED = "task.deleted"
    ROUTING_RULE_CREATED = "routing_rule.created"
    ROUTING_RULE_UPDATED = "routing_rule.updated"
    ROUTING_RULE_DELETED = "routing_rule.deleted"


class ImmutableEvent(Exception):
    pass


class Event(models.Model):
    """Who changed what, through which channel and key, from where, with every changed field's
    previous and new value. Rows outlive what they name: the user and the key are SET_NULL with
    their names copied in, and `lead_id` is a plain column, so a deleted lead's history stays."""

    occurred_at = models.DateTimeField(default=timezone.now)
    verb = models.CharField(max_length=32, choices=Verb)
    subject_type = models.CharField(max_length=20)  # "lead", "call_log", "api_key", "webhook"
    subject_id = models.CharField(max_length=64)
    subject_repr = models.CharField(max_length=200, blank=True)
    # The lead the change concerns (the lead itself, or the lead of a call or a note): the
    # lead's timeline, and whose visibility a webhook delivery must respect.
    lead_id = models.UUIDField(null=True, blank=True)
    changes = models.JSONField(
        default=dict, blank=True, help_text="{field: [previous value, new value]}"
    )
    # The subject as API v1 represents it after the change (for a deletion: just before it).
    snapshot = models.JSONField(null=True, blank=True)
    channel = models.CharField(max_length=8, choices=Channel)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_email = models.CharField(max_length=254, blank=True)
    api_key = models.ForeignKey(
        "apikeys.APIKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    api_key_label = models.CharField(max_length=200, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(verb__in=Verb.values), name="event_verb_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(channel__in=Channel.values), name="event_channel_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["lead_id", "-occurred_at"], name="event_lead_idx"),
            models.Index(fields=["subject_type", "subject_id"], name="event_subject_idx"),
            models.Index(fields=["-occurred_at", "-id"], name="event_occurred_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.verb} {self.subject_repr or self.subject_id} by {self.actor_label}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableEvent("Events are written once and never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableEvent("Events are never deleted.")

    @property
    def actor_label(self) -> str:
        who = self.actor_email or "the system"
        return f"{who} via API key {self.api_key_label}" if self.api_key_label else who
