"""What a pipeline and its stages may hold: the one place that validates them. The pipeline
services call these on whatever arrives (pages, the Django admin, commands).

A lead's status is its stage's status: the six statuses below are what a stage reports, so
that every list, filter and report that reads a status keeps working whichever pipeline a
lead is in.
"""

from collections.abc import Callable, Mapping
from typing import Any

from django.db import models

from core.errors import clean_fields, text_cleaner


class LeadStatus(models.TextChoices):
    NEW = "New"
    CONTACTED = "Contacted"
    QUALIFIED = "Qualified"
    PROPOSAL = "Proposal"
    WON = "Won"
    LOST = "Lost"


NAME_MAX_LENGTH = 100
MAX_ROTTING_DAYS = 3650
MAX_STAGES = 30
DEFAULT_PIPELINE = "Sales"
# The default pipeline's stages: (name = status, win probability).
DEFAULT_STAGES = (
    (LeadStatus.NEW, 10),
    (LeadStatus.CONTACTED, 20),
    (LeadStatus.QUALIFIED, 40),
    (LeadStatus.PROPOSAL, 60),
    (LeadStatus.WON, 100),
    (LeadStatus.LOST, 0),
)
PIPELINE_FIELDS = ("name", "is_default")
STAGE_FIELDS = ("name", "status", "probability", "rotting_days")


def _status(value: Any) -> str:
    if value not in LeadStatus.values:
        raise ValueError(f"“{value}” is not one of: {', '.join(LeadStatus.values)}.")
    return value


def _integer(low: int, high: int, *, nullable: bool) -> Callable[[Any], int | None]:
    def clean(value: Any) -> int | None:
        if value in (None, "") and nullable:
            return None
        if isinstance(value, bool):
            raise ValueError("Must be a whole number.")
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValueError("Must be a whole number.") from None
        if isinstance(value, float) and value != number:
            raise ValueError("Must be a whole number.")
        if not low <= number <= high:
            raise ValueError(f"Must be from {low} to {high}.")
        return number

    return clean


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("Must be true or false.")
    return value


_CLEANERS: dict[str, Callable[[Any], Any]] = {
    "name": text_cleaner(NAME_MAX_LENGTH, required=True, one_line=True),
    "is_default": _boolean,
    "status": _status,
    "probability": _integer(0, 100, nullable=False),
    "rotting_days": _integer(1, MAX_ROTTING_DAYS, nullable=True),
}


def clean_pipeline_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The pipeline fields present in `fields`, normalized; InvalidFields for the bad ones."""
    return clean_fields(fields, _CLEANERS, PIPELINE_FIELDS)


def clean_stage_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The stage fields present in `fields`, normalized; InvalidFields for the bad ones."""
    return clean_fields(fields, _CLEANERS, STAGE_FIELDS)
