"""Pipelines and their stages. Every lead is in exactly one stage (leads.Lead.stage); a stage
says which of the six statuses its leads report. Nothing is deleted: a pipeline or stage that
is no longer wanted is archived (once it holds no leads), so reports and history keep its name."""

import uuid

from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from .rules import MAX_ROTTING_DAYS, NAME_MAX_LENGTH, LeadStatus


class PipelineQuerySet(models.QuerySet):
    def active(self) -> "PipelineQuerySet":
        return self.filter(archived_at__isnull=True)


class Pipeline(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    # New leads that name no pipeline go to the default one; exactly one pipeline is it.
    is_default = models.BooleanField(default=False)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PipelineQuerySet.as_manager()

    class Meta:
        ordering = ["-is_default", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="pipeline_one_default",
            ),
            models.UniqueConstraint(
                Lower("name"),
                condition=models.Q(archived_at__isnull=True),
                name="pipeline_name_unique",
            ),
            models.CheckConstraint(condition=~models.Q(name=""), name="pipeline_name_not_empty"),
            models.CheckConstraint(
                condition=~(models.Q(is_default=True) & models.Q(archived_at__isnull=False)),
                name="pipeline_default_not_archived",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class StageQuerySet(models.QuerySet):
    def active(self) -> "StageQuerySet":
        return self.filter(archived_at__isnull=True)


class Stage(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    pipeline = models.ForeignKey(Pipeline, on_delete=models.PROTECT, related_name="stages")
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    # 1, 2, 3… in the pipeline's order (pipelines.services keeps them so).
    position = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=LeadStatus)
    probability = models.PositiveSmallIntegerField("win probability (%)", default=0)
    # A lead unchanged for longer than this in the stage is flagged as rotting.
    rotting_days = models.PositiveSmallIntegerField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StageQuerySet.as_manager()

    class Meta:
        ordering = ["pipeline", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                "pipeline",
                Lower("name"),
                condition=models.Q(archived_at__isnull=True),
                name="stage_name_unique_in_pipeline",
            ),
            models.CheckConstraint(condition=~models.Q(name=""), name="stage_name_not_empty"),
            models.CheckConstraint(
                condition=models.Q(status__in=LeadStatus.values), name="stage_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(probability__gte=0, probability__lte=100),
                name="stage_probability_percent",
            ),
            models.CheckConstraint(
                condition=models.Q(rotting_days__isnull=True)
                | models.Q(rotting_days__gte=1, rotting_days__lte=MAX_ROTTING_DAYS),
                name="stage_rotting_days_range",
            ),
        ]
        indexes = [models.Index(fields=["pipeline", "position"], name="stage_pipeline_pos_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None
