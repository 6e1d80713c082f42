"""Reading pipelines, and where a lead goes: `Placement` turns what a write says (a stage, a
pipeline, a status, or nothing) into the one stage the lead will be in."""

import uuid
from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.db.models import Prefetch

from core.errors import ServiceError

from .models import Pipeline, Stage
from .rules import LeadStatus


def active_pipelines():
    """Pipelines that are not archived, default first, with their active stages in order."""
    stages = Stage.objects.active().order_by("position", "id")
    return Pipeline.objects.active().prefetch_related(Prefetch("stages", queryset=stages))


def default_pipeline() -> Pipeline:
    pipeline = Pipeline.objects.active().filter(is_default=True).first()
    if pipeline is None:  # the migration creates one and the services never remove it
        raise ServiceError("There is no default pipeline; an admin must choose one.", "pipeline_id")
    return pipeline


def _placeable():
    """Stages a lead may go to: active, in an active pipeline."""
    stages = Stage.objects.active().filter(pipeline__archived_at__isnull=True)
    return stages.select_related("pipeline")


class Placement:
    """Where leads go, for one request: each pipeline's active stages are read once (a bulk
    write of many leads reads each pipeline's stages one time)."""

    def __init__(self):
        self._stages: dict[Any, list[Stage]] = {}
        self._by_id: dict[uuid.UUID, Stage | None] = {}  # stages named by id (None: no such)

    def load(self, stage_ids: Iterable[uuid.UUID]) -> None:
        """Read the stages these ids name, in one query (a bulk write's stage_ids)."""
        wanted = {stage_id for stage_id in stage_ids if stage_id not in self._by_id}
        if not wanted:
            return
        found = _placeable().filter(pk__in=wanted)
        self._by_id.update(dict.fromkeys(wanted))
        self._by_id.update({stage.pk: stage for stage in found})

    def hold(self, stages: Iterable[Stage]) -> None:
        """Inside a write's transaction, before it puts leads in `stages`: hold them until the
        write commits, and check that they are still active with the status they had when
        read. On PostgreSQL this is a FOR KEY SHARE lock on each stage and its pipeline: it
        does not hold up other writes into the same stage, but an archive or a status change
        (which take FOR UPDATE, then look for leads) waits for this write to commit and then
        sees its leads. (The foreign key alone takes no lock before the commit: Django's
        constraints are deferred.) SQLite runs one write at a time: the check is enough."""
        stages = {stage.pk: stage for stage in stages}
        if not stages:
            return
        marks = ", ".join(["%s"] * len(stages))
        lock = " FOR KEY SHARE OF s, p" if connection.vendor == "postgresql" else ""
        sql = (
            f"SELECT s.id, s.status, s.archived_at IS NULL AND p.archived_at IS NULL "
            f"FROM {Stage._meta.db_table} s JOIN {Pipeline._meta.db_table} p "
            f"ON p.id = s.pipeline_id WHERE s.id IN ({marks}) ORDER BY s.id{lock}"
        )
        prepare = Stage._meta.pk.get_db_prep_value
        with connection.cursor() as cursor:
            cursor.execute(sql, [prepare(pk, connection) for pk in sorted(stages, key=str)])
            now = {Stage._meta.pk.to_python(row[0]): (row[1], bool(row[2])) for row in cursor}
        for pk, stage in stages.items():
            if now.get(pk) != (stage.status, True):
                raise ServiceError(
                    f"The stage “{stage.name}” was archived or changed just now; try again.",
                    "stage_id",
                )

    def stages_of(self, pipeline_id: uuid.UUID | None) -> list[Stage]:
        """A pipeline's active stages in order (None: the default pipeline's)."""
        if pipeline_id not in self._stages:
            stages = Stage.objects.active().select_related("pipeline").order_by("position", "id")
            if pipeline_id is None:
                stages = stages.filter(pipeline__is_default=True)
            else:
                stages = stages.filter(pipeline_id=pipeline_id)
            found = list(stages.filter(pipeline__archived_at__isnull=True))
            if pipeline_id is None and not found:
                raise ServiceError("The default pipeline has no stages.", "pipeline_id")
            if pipeline_id is not None and not found:
                raise ServiceError("No pipeline has this id.", "pipeline_id")
            self._stages[pipeline_id] = found
            if pipeline_id is None:
                self._stages[found[0].pipeline_id] = found
        return self._stages[pipeline_id]

    def stage_for(
        self,
        *,
        current: Stage | None,
        pipeline_id: uuid.UUID | None = None,
        stage_id: uuid.UUID | None = None,
        status: str | None = None,
    ) -> Stage:
        """The stage a lead goes to. `current` is the lead's stage (None for a new lead);
        the others are what the write sent (None: not sent).
        - a stage: that stage (of `pipeline_id` if sent; reporting `status` if sent);
        - a status: the lead stays if its stage reports it, else the first stage of the
          pipeline (sent, or the lead's, or the default) that does;
        - a pipeline alone: its first stage with the lead's status, else its first stage;
        - nothing: the lead stays (a new lead: the default pipeline's first New stage)."""
        if stage_id is not None:
            return self._given_stage(stage_id, pipeline_id, status)
        if current is not None:
            if pipeline_id in (None, current.pipeline_id) and status in (None, current.status):
                return current
            if pipeline_id is None:
                pipeline_id = current.pipeline_id
        stages = self.stages_of(pipeline_id)
        if status is not None:
            for stage in stages:
                if stage.status == status:
                    return stage
            name = stages[0].pipeline.name
            raise ServiceError(
                f"The pipeline “{name}” has no stage with status {status}.", "status"
            )
        wanted = current.status if current is not None else LeadStatus.NEW
        return next((stage for stage in stages if stage.status == wanted), stages[0])

    def _given_stage(self, stage_id, pipeline_id, status) -> Stage:
        cached = (stage for stages in self._stages.values() for stage in stages)
        stage = next((stage for stage in cached if stage.pk == stage_id), None)
        if stage is None:
            self.load([stage_id])
            stage = self._by_id[stage_id]
        if stage is None:
            raise ServiceError("No stage has this id (or it is archived).", "stage_id")
        if pipeline_id is not None and stage.pipeline_id != pipeline_id:
            raise ServiceError(
                f"The stage “{stage.name}” is in the pipeline “{stage.pipeline.name}”, "
                "not in the pipeline given.",
                "stage_id",
            )
        if status is not None and status != stage.status:
            raise ServiceError(
                f"The stage “{stage.name}” has status {stage.status}, not {status}: send the "
                "stage or the status, or both in agreement.",
                "status",
            )
        return stage
