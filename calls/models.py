import uuid

from django.db import models
from django.utils import timezone

from leads.models import Lead
from leads.rules import MAX_LENGTHS, visible_leads

from . import tally
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

    def save(self, *args, **kwargs):
        # Counted here (calls.tally), so that no save, whatever its path, skips the counts. The
        # lead's assignee, source and pipeline come from `self.lead`: the services lock it
        # first, so that a reassignment moving this lead's call counts cannot interleave.
        before = None if self._state.adding else self._counted_key()
        super().save(*args, **kwargs)
        self._counted = self.tally_fields()
        tally.call_moved(
            tally.key_of(*before, tally.dims_of_lead(self.lead)) if before else None,
            tally.key_of(*self._counted, tally.dims_of_lead(self.lead)),
        )

    def delete(self, *args, **kwargs):
        before = self._counted_key()
        result = super().delete(*args, **kwargs)
        if before is not None:
            tally.call_moved(tally.key_of(*before, tally.dims_of_lead(self.lead)), None)
        return result

    @classmethod
    def from_db(cls, db, field_names, values):
        call = super().from_db(db, field_names, values)
        if all(name in call.__dict__ for name in TALLY_FIELDS):
            call._counted = call.tally_fields()  # what calls.tally counts it as now
        return call

    def tally_fields(self) -> tuple:
        return tuple(getattr(self, name) for name in TALLY_FIELDS)

    def _counted_key(self) -> tuple | None:
        """The call's counted fields: as loaded, or (an instance not read whole) as stored."""
        if hasattr(self, "_counted"):
            return self._counted
        return CallLog.objects.filter(pk=self.pk).values_list(*TALLY_FIELDS).first()


# The call's own fields calls.tally counts it by, in tally.key_of's order.
TALLY_FIELDS = ("called_at", "call_type", "outcome")


CELL = ["assignee", "pipeline_id", "source", "call_type", "outcome", "day", "shard"]


class CallTally(models.Model):
    """Calls per IST day and dimension (calls.tally says how they are kept and read). A
    dimension holding its ANY value counts every value of it."""

    assignee = models.IntegerField()  # the lead's assignee: a user id; 0 nobody, -1 any
    pipeline_id = models.UUIDField()  # the lead's pipeline; 00000000-… any
    source = models.CharField(max_length=MAX_LENGTHS["source"])  # the lead's source; "" any
    call_type = models.CharField(max_length=8)  # "" any
    outcome = models.CharField(max_length=10)  # "" any
    day = models.DateField()
    shard = models.PositiveSmallIntegerField()
    calls = models.IntegerField(default=0)

    class Meta:
        constraints = [
            # The one cell an upsert adds to; its index also serves every total (a range of
            # days for fixed dimensions).
            models.UniqueConstraint(
                fields=[
                    "assignee",
                    "pipeline_id",
                    "source",
                    "call_type",
                    "outcome",
                    "day",
                    "shard",
                ],
                name="call_tally_cell",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day}: {self.calls}"
