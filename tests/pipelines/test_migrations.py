"""The migrations that bring pipelines: every lead that exists goes to the default pipeline's
stage of its status; a rollback works; a flushed database gets its default pipeline back."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from leads.models import Lead
from pipelines.models import Pipeline

BEFORE = [("leads", "0005_lookup_columns")]


def latest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_existing_leads_go_to_the_default_pipelines_stage_of_their_status():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps.get_model("leads", "Lead")
        for index, status in enumerate(["New", "Won", "Lost", "Qualified", "Won"]):
            phone = f"+9198000000{index:02d}"
            old.objects.create(name=f"L{index}", phone=phone, phone_e164=phone, status=status)
    finally:
        latest()
    sales = Pipeline.objects.get(is_default=True)
    leads = list(Lead.objects.select_related("stage__pipeline"))
    assert len(leads) == 5
    for lead in leads:
        assert (lead.stage.pipeline, lead.stage.name, lead.stage.status) == (
            sales, lead.status, lead.status
        )  # fmt: skip
        assert lead.stage_entered_at == lead.updated_at
        # What it has reached, as far as can be told: its stage, unless that is Lost.
        assert lead.furthest_stage_id == (None if lead.status == "Lost" else lead.stage_id)


@pytest.mark.django_db(transaction=True)
def test_pipelines_can_be_rolled_back_and_migrated_again():
    call_command("migrate", "pipelines", "zero", verbosity=0)
    try:
        assert "pipelines_pipeline" not in connection.introspection.table_names()
    finally:
        call_command("migrate", verbosity=0)
    assert Pipeline.objects.get(is_default=True).stages.count() == 6


@pytest.mark.django_db(transaction=True)
def test_a_flushed_database_gets_its_default_pipeline_back():
    call_command("flush", interactive=False, verbosity=0)
    sales = Pipeline.objects.get(is_default=True)
    assert [stage.name for stage in sales.stages.order_by("position")] == [
        "New", "Contacted", "Qualified", "Proposal", "Won", "Lost",
    ]  # fmt: skip
