"""Reading pipelines, and where a lead goes: `Placement` turns what a write says (a stage, a
pipeline, a status, or nothing) into the one stage the lead will be in."""

import uuid
from typing import Any

from core.errors import ServiceError

from .models import Pipeline, Stage
from .rules import LeadStatus


def active_pipelines():
    """Pipelines that are not archived, default first, with their active stages in order."""
    from django.db.models import Prefetch

    stages = Stage.objects.active().order_by("position", "id")
    return Pipeline.objects.active().prefetch_related(Prefetch("stages", queryset=stages))


def default_pipeline() -> Pipeline:
    pipeline = Pipeline.objects.active().filter(is_default=True).first()
    if pipeline is None:  # the migration creates one and the services never remove it
        raise ServiceError("There is no default pipeline; an admin must choose one.", "pipeline_id")
    return pipeline


class Placement:
    """Where leads go, for one request: each pipeline's active stages are read once (a bulk
    write of many leads reads each pipeline's stages one time)."""

    def __init__(self):
        self._stages: dict[Any, list[Stage]] = {}

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
            stages = Stage.objects.active().filter(pipeline__archived_at__isnull=True)
            stage = stages.select_related("pipeline").filter(pk=stage_id).first()
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
