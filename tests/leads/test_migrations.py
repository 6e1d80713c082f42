"""The leads' own migrations that change data: 0014 gives a blank source (from before sources
were required) the default one, and the counts of leads and calls follow."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from leads.models import Lead


def latest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_a_blank_source_from_before_the_rule_becomes_the_default_and_is_counted_so():
    from calls.models import CallLog
    from calls.tally import cube as call_cube
    from calls.tally import kept as calls_kept
    from calls.tally import rebuild as rebuild_calls
    from leads.tally import cube as lead_cube
    from leads.tally import kept as leads_kept
    from leads.tally import rebuild as rebuild_leads

    before = [("leads", "0013_tally_value_digits"), ("calls", "0003_call_tally")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        stage = old.get_model("pipelines", "Stage").objects.get(name="New")
        lead_model = old.get_model("leads", "Lead")
        blank = lead_model.objects.create(
            name="Old", phone="+919800000077", phone_e164="+919800000077", source="",
            stage=stage, furthest_stage=stage,
        )  # fmt: skip
        old.get_model("calls", "CallLog").objects.create(
            lead_id=blank.pk, call_type="Inbound", outcome="Missed", duration_seconds=0
        )
        # Counted as the app counted them then (a blank source in the "any source" cells).
        rebuild_leads(lead_model, old.get_model("leads", "LeadTally"))
        rebuild_calls(old.get_model("calls", "CallLog"), old.get_model("calls", "CallTally"))
    finally:
        latest()
    assert Lead.objects.get(pk=blank.pk).source == "API"
    assert CallLog.objects.get().lead.source == "API"
    assert leads_kept() == lead_cube(Lead)
    assert calls_kept() == call_cube(CallLog)
