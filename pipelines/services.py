"""Pipeline and stage changes: create, rename, choose the default, reorder and archive. The
settings pages, the Django admin and the commands all call these; each change is one event.
Moving a lead between stages is a lead change (leads.services.lead_move)."""

import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import Conflict, Forbidden, NotFound, ServiceError
from events.models import Verb
from events.services import Actor, diff, record_event

from .models import Pipeline, Stage
from .rules import (
    DEFAULT_PIPELINE,
    DEFAULT_STAGES,
    MAX_STAGES,
    clean_pipeline_fields,
    clean_stage_fields,
)


def _require_admin(actor: Actor) -> None:
    # (The system itself, with no user, may: migrations and commands.)
    if not actor.is_admin and actor.user is not None:
        raise Forbidden("Only admins change pipelines.")


def pipeline_ensure_default(*, using: str = "default") -> None:
    """Create the default pipeline (Sales: New, Contacted, Qualified, Proposal, Won, Lost)
    unless some pipeline is the default. For a database that has none: after a flush."""
    if Pipeline.objects.using(using).filter(is_default=True).exists():
        return
    with transaction.atomic(using=using):
        pipeline = Pipeline.objects.using(using).create(name=DEFAULT_PIPELINE, is_default=True)
        Stage.objects.using(using).bulk_create(
            Stage(pipeline=pipeline, name=name, status=name, position=position, probability=chance)
            for position, (name, chance) in enumerate(DEFAULT_STAGES, start=1)
        )


def pipeline_create(
    *, actor: Actor, fields: dict[str, Any], stages: list[dict[str, Any]]
) -> Pipeline:
    """A new pipeline with its stages (at least one), in the order given."""
    _require_admin(actor)
    fields = clean_pipeline_fields(fields)
    if "name" not in fields:
        raise ServiceError("Name the pipeline.", "name")
    if not stages:
        raise ServiceError("A pipeline has at least one stage.", "stages")
    if len(stages) > MAX_STAGES:
        raise ServiceError(f"A pipeline has at most {MAX_STAGES} stages.", "stages")
    cleaned_stages = []
    for stage in stages:
        cleaned = clean_stage_fields(stage)
        for required in ("name", "status"):
            if required not in cleaned:
                raise ServiceError(f"Each stage needs a {required}.", required)
        cleaned_stages.append(cleaned)
    names = [stage["name"].casefold() for stage in cleaned_stages]
    if len(set(names)) != len(names):
        raise ServiceError("Two stages have the same name.", "name")
    with transaction.atomic():
        if fields.get("is_default"):
            _lock_every_pipeline()
            _unset_default()
        pipeline = _saved_pipeline(Pipeline(**fields))
        for position, values in enumerate(cleaned_stages, start=1):
            Stage.objects.create(pipeline=pipeline, position=position, **values)
        snapshot = pipeline_snapshot(pipeline)
        record_event(
            actor=actor,
            verb=Verb.PIPELINE_CREATED,
            subject=pipeline,
            changes=diff({}, snapshot),
            snapshot=snapshot,
        )
    return pipeline


def pipeline_update(*, actor: Actor, pipeline: Pipeline, fields: dict[str, Any]) -> Pipeline:
    """Rename a pipeline, or make it the default (the previous default stops being it; a
    default cannot be unset except by choosing another)."""
    _require_admin(actor)
    fields = clean_pipeline_fields(fields)
    with transaction.atomic():
        if fields.get("is_default"):
            _lock_every_pipeline()  # first: the same order as any other choice of default
        pipeline = _locked_pipeline(pipeline.pk)
        before = pipeline_snapshot(pipeline)
        if fields.get("is_default") is False and pipeline.is_default:
            raise ServiceError("Choose another pipeline as the default instead.", "is_default")
        if fields.get("is_default") and not pipeline.is_default:
            _unset_default()
        for name, value in fields.items():
            setattr(pipeline, name, value)
        after = pipeline_snapshot(pipeline)
        changes = diff(before, after)
        if changes:
            _saved_pipeline(pipeline)
            record_event(
                actor=actor,
                verb=Verb.PIPELINE_UPDATED,
                subject=pipeline,
                changes=changes,
                snapshot=after,
            )
    return pipeline


def pipeline_archive(*, actor: Actor, pipeline: Pipeline) -> Pipeline:
    """Archive a pipeline that holds no leads and is not the default."""
    _require_admin(actor)
    with transaction.atomic():
        pipeline = _locked_pipeline(pipeline.pk)
        if pipeline.is_default:
            raise ServiceError("The default pipeline cannot be archived; choose another first.")
        stages = Stage.objects.select_for_update().filter(pipeline=pipeline)
        if any(stage.leads.exists() for stage in stages):
            raise ServiceError("Move this pipeline's leads to another pipeline first.")
        now = timezone.now()
        pipeline.archived_at = now
        pipeline.save(update_fields=["archived_at", "updated_at"])
        record_event(
            actor=actor,
            verb=Verb.PIPELINE_ARCHIVED,
            subject=pipeline,
            changes={"archived": [False, True]},
            snapshot=pipeline_snapshot(pipeline),
        )
    return pipeline


def stage_create(*, actor: Actor, pipeline: Pipeline, fields: dict[str, Any]) -> Stage:
    """A new stage at the end of the pipeline (reorder to move it)."""
    _require_admin(actor)
    fields = clean_stage_fields(fields)
    for required in ("name", "status"):
        if required not in fields:
            raise ServiceError(f"A stage needs a {required}.", required)
    with transaction.atomic():
        pipeline = _locked_pipeline(pipeline.pk)
        active = list(Stage.objects.active().filter(pipeline=pipeline))
        if len(active) >= MAX_STAGES:
            raise ServiceError(f"A pipeline has at most {MAX_STAGES} stages.")
        position = max((stage.position for stage in active), default=0) + 1
        stage = Stage(pipeline=pipeline, position=position, **fields)
        _saved(stage, "name", "This pipeline already has a stage with this name.")
        snapshot = stage_snapshot(stage)
        record_event(
            actor=actor,
            verb=Verb.STAGE_CREATED,
            subject=stage,
            changes=diff({}, snapshot),
            snapshot=snapshot,
        )
    return stage


def stage_update(*, actor: Actor, stage: Stage, fields: dict[str, Any]) -> Stage:
    """Rename a stage or change its probability or rotting days. Its status changes only while
    it holds no leads: a lead's status is its stage's, and a status change is a move."""
    _require_admin(actor)
    fields = clean_stage_fields(fields)
    with transaction.atomic():
        stage = _locked_stage(stage.pk)
        before = stage_snapshot(stage)
        if "status" in fields and fields["status"] != stage.status and stage.leads.exists():
            raise ServiceError(
                "This stage holds leads: move them before changing its status.", "status"
            )
        for name, value in fields.items():
            setattr(stage, name, value)
        after = stage_snapshot(stage)
        changes = diff(before, after)
        if changes:
            _saved(stage, "name", "This pipeline already has a stage with this name.")
            record_event(
                actor=actor, verb=Verb.STAGE_UPDATED, subject=stage, changes=changes, snapshot=after
            )
    return stage


def stage_reorder(*, actor: Actor, pipeline: Pipeline, stage_ids: list) -> list[Stage]:
    """Put the pipeline's active stages in the order given (every one of them, once)."""
    _require_admin(actor)
    with transaction.atomic():
        pipeline = _locked_pipeline(pipeline.pk)
        stages = {stage.pk: stage for stage in Stage.objects.active().filter(pipeline=pipeline)}
        wanted = [_as_uuid(stage_id) for stage_id in stage_ids]
        if sorted(map(str, wanted)) != sorted(map(str, stages)):
            raise ServiceError("Give every active stage of the pipeline, each once.", "stages")
        before = [s.name for s in sorted(stages.values(), key=lambda s: (s.position, str(s.pk)))]
        ordered = [stages[stage_id] for stage_id in wanted]
        for position, stage in enumerate(ordered, start=1):
            stage.position = position
        Stage.objects.bulk_update(ordered, ["position"])
        after = [stage.name for stage in ordered]
        if before != after:
            record_event(
                actor=actor,
                verb=Verb.PIPELINE_UPDATED,
                subject=pipeline,
                changes={"stages": [before, after]},
                snapshot=pipeline_snapshot(pipeline),
            )
    return ordered


def stage_move(*, actor: Actor, stage: Stage, offset: int) -> None:
    """Move a stage one place up (-1) or down (+1) among the pipeline's active stages."""
    stages = list(Stage.objects.active().filter(pipeline_id=stage.pipeline_id))
    ids = [s.pk for s in stages]
    if stage.pk not in ids:
        raise NotFound("This stage is archived: it has no place to move from.", "stage_id")
    index = ids.index(stage.pk)
    target = index + offset
    if 0 <= target < len(ids):
        ids[index], ids[target] = ids[target], ids[index]
        stage_reorder(actor=actor, pipeline=stage.pipeline, stage_ids=ids)


def stage_archive(*, actor: Actor, stage: Stage) -> Stage:
    """Archive a stage that holds no leads; a pipeline keeps at least one active stage."""
    _require_admin(actor)
    with transaction.atomic():
        stage = _locked_stage(stage.pk)
        if stage.archived_at is not None:
            return stage
        # The lock above waits for any lead moving into this stage to commit first (lead writes
        # hold the stage they move into: pipelines.selectors.Placement.hold).
        if stage.leads.exists():
            raise ServiceError("This stage holds leads: move them to another stage first.")
        others = Stage.objects.active().filter(pipeline_id=stage.pipeline_id).exclude(pk=stage.pk)
        if not others.exists():
            raise ServiceError("A pipeline keeps at least one stage.")
        stage.archived_at = timezone.now()
        stage.save(update_fields=["archived_at", "updated_at"])
        record_event(
            actor=actor,
            verb=Verb.STAGE_ARCHIVED,
            subject=stage,
            changes={"archived": [False, True]},
            snapshot=stage_snapshot(stage),
        )
    return stage


def pipeline_snapshot(pipeline: Pipeline) -> dict[str, Any]:
    return {
        "id": str(pipeline.pk),
        "name": pipeline.name,
        "is_default": pipeline.is_default,
        "archived": pipeline.archived_at is not None,
    }


def stage_snapshot(stage: Stage) -> dict[str, Any]:
    return {
        "id": str(stage.pk),
        "pipeline_id": str(stage.pipeline_id),
        "name": stage.name,
        "position": stage.position,
        "status": stage.status,
        "probability": stage.probability,
        "rotting_days": stage.rotting_days,
        "archived": stage.archived_at is not None,
    }


def _lock_every_pipeline() -> None:
    """Before a pipeline becomes the default, before any other lock: every pipeline row, in
    one order. Two admins choosing a default at once then go one after the other, the second
    unsetting the first's choice (locking only the current default would let both pass, and
    locking one's own pipeline first would deadlock them)."""
    list(Pipeline.objects.select_for_update().order_by("pk").values_list("pk", flat=True))


def _unset_default() -> None:
    Pipeline.objects.filter(is_default=True).update(is_default=False)


def _saved_pipeline(pipeline: Pipeline) -> Pipeline:
    """Save it; what the database refuses is a Conflict on the field it concerns."""
    try:
        with transaction.atomic():
            pipeline.save()
    except IntegrityError:
        others = Pipeline.objects.active().exclude(pk=pipeline.pk)
        if others.filter(name__iexact=pipeline.name).exists():
            raise Conflict("Another pipeline has this name.", "name") from None
        message = "Another pipeline was made the default at the same moment; try again."
        raise Conflict(message, "is_default") from None
    return pipeline


def _locked_pipeline(pipeline_id) -> Pipeline:
    pipeline = Pipeline.objects.select_for_update().filter(pk=pipeline_id).first()
    if pipeline is None or pipeline.archived_at is not None:
        raise NotFound("This pipeline does not exist (or is archived).", "pipeline_id")
    return pipeline


def _locked_stage(stage_id) -> Stage:
    stage = Stage.objects.select_for_update().filter(pk=stage_id).first()
    if stage is None:
        raise NotFound("This stage does not exist.", "stage_id")
    return stage


def _saved(obj, field: str, message: str):
    """Save `obj`; a unique name the database refuses is a Conflict on `field`."""
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        raise Conflict(message, field) from None
    return obj


def _as_uuid(value):
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise ServiceError(f"“{value}” is not a stage id.", "stages") from None
