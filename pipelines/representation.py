"""A pipeline as API v1 shows it, with each active stage's lead count and deal value sum (the
caller counts, for the leads its user may see: leads.selectors.stage_totals)."""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .models import Pipeline, Stage


def stage_to_api(stage: Stage, count: int, value: Decimal) -> dict[str, Any]:
    return {
        "id": str(stage.pk),
        "name": stage.name,
        "position": stage.position,
        "status": stage.status,
        "probability": stage.probability,
        "rotting_days": stage.rotting_days,
        "lead_count": count,
        "deal_value_total": float(value),
    }


def pipeline_to_api(
    pipeline: Pipeline, stages: list[Stage], totals: Mapping[Any, tuple[int, Decimal]]
) -> dict[str, Any]:
    """`stages`: the pipeline's active stages in order; `totals`: {stage id: (count, sum)}."""
    return {
        "id": str(pipeline.pk),
        "name": pipeline.name,
        "is_default": pipeline.is_default,
        "stages": [stage_to_api(stage, *totals[stage.pk]) for stage in stages],
    }
