import pytest

from events.services import Actor
from pipelines.models import Pipeline
from pipelines.services import pipeline_create


@pytest.fixture
def sales(db) -> Pipeline:
    return Pipeline.objects.get(is_default=True)


@pytest.fixture
def partners(db) -> Pipeline:
    """A second pipeline: Intro (New), Demo (Contacted), Call back (Contacted), Signed (Won),
    Dropped (Lost)."""
    return pipeline_create(
        actor=Actor.system(),
        fields={"name": "Partners"},
        stages=[
            {"name": "Intro", "status": "New", "probability": 5},
            {"name": "Demo", "status": "Contacted", "probability": 30, "rotting_days": 7},
            {"name": "Call back", "status": "Contacted", "probability": 30},
            {"name": "Signed", "status": "Won", "probability": 100},
            {"name": "Dropped", "status": "Lost"},
        ],
    )


def stage(pipeline: Pipeline, name: str):
    return pipeline.stages.get(name=name)
