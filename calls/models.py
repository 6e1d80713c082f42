import uuid

from django.db import models
from django.utils import timezone

from leads.models import Lead
from leads.rules import visible_leads

from .rules import CallOutcome, CallType


class CallLogQuerySet(models.QuerySet):
    def visible_to(self, user) -> "CallLogQuerySet":
        """A call is visible to whoever can see its lead."""
        return self.filter(visible_leads(user, prefix="lead__"))

    def missed_to_return(self, since) -> "CallLogQuerySet":
        """Missed calls since `since` that nobody has followed with a call to the same lead."""
        later_call = CallLog.objects.filter(
            lead=models.OuterRef("lead"), called_at__gt=models.OuterRef("called_at")
        )
        return self.filter(outcome=CallOutcome.MISSED, called_at__gte=since).filter(
            ~models.Exists(later_call)
        )


class CallLog(models.Model):
    EVENT_SUBJECT = "call_log"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="calls")
    call_type = models.CharField(max_length=8, choices=CallType)
    duration_seconds = models.PositiveIntegerField(help_text="0 means the call was missed.")
    outcome = models.CharField(max_length=10, choices=CallOutcome, default=CallOutcome.COMPLETED)
    notes = models.TextField(null=True, blank=True)
    called_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # The dialer's own id for the call: a second POST with it updates the call (start, then end).
    external_id = models.CharField(max_length=100, null=True, blank=True)
    recording_url = models.URLField(max_length=2000, null=True, blank=True)

    objects = CallLogQuerySet.as_manager()

    class Meta:
        ordering = ["-called_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration_seconds__gte=0), name="call_duration_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(call_type__in=CallType.values), name="call_type_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(outcome__in=CallOutcome.values), name="call_outcome_valid"
            ),
            models.UniqueConstraint(fields=["external_id"], name="call_external_id_unique"),
        ]
        indexes = [
            models.Index(fields=["-called_at", "-id"], name="call_called_idx"),
            models.Index(fields=["lead", "-called_at"], name="call_lead_called_idx"),
            models.Index(fields=["call_type", "-called_at"], name="call_type_called_idx"),
            models.Index(fields=["outcome", "-called_at"], name="call_outcome_called_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.call_type} call, {self.duration_seconds}s ({self.outcome})"
