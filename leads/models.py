import uuid

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from . import tally
from .rules import (
    DEFAULT_SOURCE,
    MAX_LENGTHS,
    LeadPriority,
    LeadStatus,
    name_key,
    normalize_email,
    normalize_phone,
    search_text,
    tag_keys,
    visible_leads,
)


class LeadQuerySet(models.QuerySet):
    def visible_to(self, user) -> "LeadQuerySet":
        """Row-level security (leads.rules.visible_leads)."""
        return self.filter(visible_leads(user))


class Lead(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=MAX_LENGTHS["name"])
    email = models.EmailField(max_length=MAX_LENGTHS["email"], null=True, blank=True)
    phone = models.CharField(max_length=MAX_LENGTHS["phone"], null=True, blank=True)
    company = models.CharField(max_length=MAX_LENGTHS["company"], null=True, blank=True)
    city = models.CharField(max_length=MAX_LENGTHS["city"], null=True, blank=True)
    source = models.CharField(max_length=MAX_LENGTHS["source"], default=DEFAULT_SOURCE)
    status = models.CharField(max_length=16, choices=LeadStatus, default=LeadStatus.NEW)
    # Every lead is in one stage of one pipeline, and its status is always its stage's: the
    # services place it (pipelines.selectors.Placement) and keep the two in step.
    stage = models.ForeignKey("pipelines.Stage", on_delete=models.PROTECT, related_name="leads")
    # When the lead entered its stage: "days in stage" on the board.
    stage_entered_at = models.DateTimeField(default=timezone.now, editable=False)
    # The furthest stage of its pipeline it has reached, Lost stages aside (the funnel's
    # "reached"); null when it has only been Lost in this pipeline. Kept by leads.services.
    furthest_stage = models.ForeignKey(
        "pipelines.Stage",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    priority = models.CharField(max_length=8, choices=LeadPriority, default=LeadPriority.MEDIUM)
    tags = models.JSONField(default=list, blank=True)
    deal_value = models.DecimalField(
        "deal value (INR)",
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    notes = models.TextField(null=True, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    # Dedup keys, derived from phone and email on every save; the unique constraints below are
    # what makes two simultaneous identical POSTs end as one lead.
    phone_e164 = models.CharField(max_length=20, null=True, blank=True, editable=False)
    email_key = models.CharField(max_length=254, null=True, blank=True, editable=False)
    # Lookup columns, derived on every save (leads.rules): the text search (`q`) reads
    # search_text, the tag filter tag_keys. On PostgreSQL both have a trigram index.
    search_text = models.TextField(default="", editable=False)
    tag_keys = models.TextField(default="", editable=False)
    # What sorting by name orders by (leads.rules.name_key): the name, lowercased.
    name_key = models.CharField(max_length=2 * MAX_LENGTHS["name"], default="", editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LeadQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["phone_e164"], name="lead_phone_unique"),
            models.UniqueConstraint(fields=["email_key"], name="lead_email_unique"),
            models.CheckConstraint(
                condition=models.Q(deal_value__isnull=True) | models.Q(deal_value__gte=0),
                name="lead_deal_value_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=LeadStatus.values), name="lead_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(priority__in=LeadPriority.values), name="lead_priority_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(phone_e164__isnull=False) | models.Q(email_key__isnull=False),
                name="lead_has_phone_or_email",
            ),
            models.CheckConstraint(condition=~models.Q(name=""), name="lead_name_not_empty"),
            # The counts (leads.tally, calls.tally) read a blank source as "any source".
            models.CheckConstraint(condition=~models.Q(source=""), name="lead_source_not_empty"),
        ]
        indexes = [
            # Lists are newest first, filtered by a created_at window plus at most a few equality
            # filters; each filter gets an index that ends in the ordering.
            models.Index(fields=["-created_at", "-id"], name="lead_created_idx"),
            models.Index(fields=["status", "-created_at"], name="lead_status_created_idx"),
            models.Index(fields=["source", "-created_at"], name="lead_source_created_idx"),
            models.Index(fields=["priority", "-created_at"], name="lead_priority_created_idx"),
            models.Index(fields=["assigned_to", "-created_at"], name="lead_assignee_created_idx"),
            # Sorting by name, ignoring case (the API's sort=name and the leads page; keyset
            # pagination on name_key, id).
            models.Index(fields=["name_key", "id"], name="lead_name_key_idx"),
            # Sync reads what changed since a moment, oldest or newest first.
            models.Index(fields=["-updated_at", "-id"], name="lead_updated_idx"),
            # The board: each stage's newest arrivals, and each stage's count and value sum
            # (read from the index alone, with deal_value in it).
            models.Index(
                fields=["stage", "-stage_entered_at", "-id"], name="lead_stage_entered_idx"
            ),
            models.Index(fields=["stage", "deal_value"], name="lead_stage_value_idx"),
            models.Index(fields=["stage", "-created_at"], name="lead_stage_created_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # Every write goes through leads.services, which validates with leads.rules first;
        # the keys are derived, and the lead counted (leads.tally), here so that no save,
        # whatever its path, can skip them.
        self.derive()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {
                *kwargs["update_fields"], "phone_e164", "email_key", "search_text", "tag_keys",
                "name_key",
            }  # fmt: skip
        before = None if self._state.adding else self._counted_key()
        super().save(*args, **kwargs)
        self._counted = self.tally_key()
        # Its calls' counts first, then its own: every transaction writes the tallies in one
        # order (core.tally.ORDER), or two of them could each hold a cell the other waits for.
        if before is not None and before != self._counted:
            tally.regrouped.send(sender=Lead, moves=[(self.pk, before, self._counted)])
        tally.lead_moved(before, self._counted)

    def delete(self, *args, **kwargs):
        before = self._counted_key()
        if before is not None:  # (its calls are still there to be counted out)
            tally.regrouped.send(sender=Lead, moves=[(self.pk, before, None)])
        result = super().delete(*args, **kwargs)
        tally.lead_moved(before, None)
        return result

    @classmethod
    def from_db(cls, db, field_names, values):
        lead = super().from_db(db, field_names, values)
        if all(name in lead.__dict__ for name in TALLY_FIELDS):
            lead._counted = lead.tally_key()  # what leads.tally counts it as now
        return lead

    def tally_key(self) -> tally.LeadKey:
        return tally.key_of(*(getattr(self, name) for name in TALLY_FIELDS))

    def _counted_key(self) -> tally.LeadKey | None:
        """What the lead is counted as: as loaded, or (an instance not read whole) as stored."""
        if hasattr(self, "_counted"):
            return self._counted
        stored = Lead.objects.filter(pk=self.pk).values_list(*TALLY_FIELDS).first()
        return tally.key_of(*stored) if stored else None

    def derive(self) -> None:
        """Set the dedup keys and lookup columns from the lead's fields (save does it; a bulk
        insert, which skips save, calls it itself)."""
        self.phone_e164 = normalize_phone(self.phone) if self.phone else None
        self.email_key = normalize_email(self.email) if self.email else None
        self.search_text = search_text(
            name=self.name,
            email=self.email,
            company=self.company,
            phone=self.phone,
            phone_e164=self.phone_e164,
        )
        self.tag_keys = tag_keys(self.tags)
        self.name_key = name_key(self.name)


# The fields leads.tally counts a lead by, in tally.key_of's order.
TALLY_FIELDS = (
    "created_at", "assigned_to_id", "stage_id", "source", "priority", "deal_value",
    "furthest_stage_id",
)  # fmt: skip


class LeadTally(models.Model):
    """Leads per IST creation day and dimension, with their deal values' sum (leads.tally says
    how they are kept and read). A dimension holding its ANY value counts every value of it."""

    assignee = models.IntegerField()  # a user id; 0 nobody, -1 any
    stage_id = models.UUIDField()  # 00000000-… any
    source = models.CharField(max_length=MAX_LENGTHS["source"])  # "" any
    priority = models.CharField(max_length=8)  # "" any
    # The funnel's cells: the furthest stage reached (…0001 none); the totals' cells: …0000.
    furthest_stage_id = models.UUIDField(default=tally.ANY_STAGE)
    day = models.DateField()
    shard = models.PositiveSmallIntegerField()
    leads = models.IntegerField(default=0)
    # A day's sum: room for 2^31 leads at the largest deal value (leads.rules), 14 digits each.
    value = models.DecimalField(max_digits=26, decimal_places=2, default=0)

    class Meta:
        constraints = [
            # The one cell an upsert adds to; its index also serves every read: the columns
            # every read fixes come first, then the stage (a list's one, or every stage of a
            # grouped read), then the range of days. (With the stage second, the analytics'
            # grouped reads walked every cell of the assignee: 12 ms of PostgreSQL per
            # sources request at 100k leads; the summary's now reads ~200 cells in 0.9 ms.)
            models.UniqueConstraint(
                fields=[
                    "assignee",
                    "furthest_stage_id",
                    "priority",
                    "source",
                    "stage_id",
                    "day",
                    "shard",
                ],
                name="lead_tally_cell",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day}: {self.leads}"


class Note(models.Model):
    """A note a person wrote on a lead; deleted with its lead. (Adding one is also an event.)"""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="timeline_notes")
    text = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["lead", "-created_at"], name="note_lead_created_idx")]
        constraints = [models.CheckConstraint(condition=~models.Q(text=""), name="note_not_empty")]

    def __str__(self) -> str:
        return self.text[:80]
