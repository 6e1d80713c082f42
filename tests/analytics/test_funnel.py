"""GET /api/v1/analytics/funnel: per stage, the leads in it now and those that ever reached it
or a later step; Lost stages last, not steps."""

import uuid

import pytest

from events.models import Channel
from events.services import Actor
from leads.models import Lead
from leads.services import lead_move, lead_upsert
from pipelines.models import Pipeline
from pipelines.services import pipeline_create

pytestmark = pytest.mark.django_db

FUNNEL = "/api/v1/analytics/funnel"


def journey(admin_user, phone: str, stages: list[str], pipeline=None, **fields) -> Lead:
    """A lead created in the first stage, then moved through the others (of `pipeline`, by
    default the default one)."""
    actor = Actor(user=admin_user, channel=Channel.API)
    sales = pipeline or Pipeline.objects.get(is_default=True)
    first = sales.stages.get(name=stages[0])
    lead = lead_upsert(
        actor=actor, fields={"name": phone, "phone": phone, "stage_id": first.pk, **fields}
    ).lead
    for name in stages[1:]:
        lead_move(actor=actor, lead=lead, stage_id=sales.stages.get(name=name).pk)
    return lead


@pytest.fixture
def journeys(admin_user, rep):
    journey(admin_user, "+919800000001", ["New", "Contacted", "Qualified"])
    journey(admin_user, "+919800000002", ["New", "Won"], assigned_to=rep)
    journey(admin_user, "+919800000003", ["New"])
    journey(admin_user, "+919800000004", ["Lost"])  # straight into Lost: no step reached
    journey(admin_user, "+919800000005", ["New", "Proposal", "Lost"], assigned_to=rep)


def rows(response) -> dict[str, tuple]:
    assert response.status_code == 200, response.content
    return {
        row["name"]: (row["current"], row["reached"], row["conversion_from_previous"])
        for row in response.json()["data"]["stages"]
    }


def test_each_step_counts_the_leads_that_reached_it_or_further(admin_api, journeys):
    response = admin_api.get(FUNNEL)
    assert response.json()["data"]["pipeline_id"] == str(Pipeline.objects.get(is_default=True).pk)
    assert [row["name"] for row in response.json()["data"]["stages"]] == [
        "New", "Contacted", "Qualified", "Proposal", "Won", "Lost",
    ]  # fmt: skip
    assert rows(response) == {
        "New": (1, 4, None),
        "Contacted": (0, 3, 0.75),
        "Qualified": (1, 3, 1.0),
        "Proposal": (0, 2, 0.6667),
        "Won": (1, 1, 0.5),
        "Lost": (2, 2, None),
    }


def test_a_reps_funnel_counts_the_reps_leads(rep_api, journeys):
    assert rows(rep_api.get(FUNNEL)) == {
        "New": (0, 2, None),
        "Contacted": (0, 2, 1.0),
        "Qualified": (0, 2, 1.0),
        "Proposal": (0, 2, 1.0),
        "Won": (1, 1, 0.5),
        "Lost": (1, 1, None),
    }


def test_another_pipeline_and_an_empty_window(admin_api, admin_user, journeys):
    partners = pipeline_create(
        actor=Actor.system(),
        fields={"name": "Partners"},
        stages=[{"name": "Intro", "status": "New"}, {"name": "Signed", "status": "Won"}],
    )
    journey(admin_user, "+919800000006", ["Intro"], pipeline=partners)
    found = rows(admin_api.get(FUNNEL, {"pipeline_id": str(partners.pk)}))
    assert found == {"Intro": (1, 1, None), "Signed": (0, 0, 0.0)}
    empty = rows(admin_api.get(FUNNEL, {"from_date": "2000-01-01", "to_date": "2000-01-02"}))
    assert empty["New"] == (0, 0, None)
    assert empty["Contacted"] == (0, 0, None)  # 0 of 0: no rate


def test_an_unknown_pipeline_is_a_400_on_pipeline_id(admin_api):
    response = admin_api.get(FUNNEL, {"pipeline_id": str(uuid.uuid4())})
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid_request",
        "message": "pipeline_id: No pipeline has this id.",
        "field": "pipeline_id",
    }


def test_an_archived_pipelines_funnel_is_its_stages_with_no_leads(admin_api, admin_user):
    from pipelines.services import pipeline_archive

    partners = pipeline_create(
        actor=Actor.system(),
        fields={"name": "Partners"},
        stages=[{"name": "Intro", "status": "New"}, {"name": "Signed", "status": "Won"}],
    )
    pipeline_archive(actor=Actor(user=admin_user, channel=Channel.WEB), pipeline=partners)
    response = admin_api.get(FUNNEL, {"pipeline_id": str(partners.pk)})
    assert response.status_code == 200
    assert rows(response) == {"Intro": (0, 0, None), "Signed": (0, 0, None)}


def test_reached_counts_the_leads_own_stage_after_a_reorder(admin_api, admin_user):
    from pipelines.services import stage_reorder

    journey(admin_user, "+919800000011", ["New", "Proposal", "Contacted"])
    sales = Pipeline.objects.get(is_default=True)
    order = ["New", "Qualified", "Proposal", "Contacted", "Won", "Lost"]  # Contacted now later
    stage_reorder(
        actor=Actor.system(), pipeline=sales,
        stage_ids=[sales.stages.get(name=name).pk for name in order],
    )  # fmt: skip
    found = rows(admin_api.get(FUNNEL))
    assert found["Contacted"][:2] == (1, 1)  # in it now, so it reached it
    assert found["Proposal"][:2] == (0, 1)


def test_an_archived_furthest_stage_is_not_forgotten(admin_api, admin_user):
    from pipelines.services import stage_archive, stage_create

    sales = Pipeline.objects.get(is_default=True)
    extra = stage_create(
        actor=Actor.system(), pipeline=sales, fields={"name": "Demo", "status": "Proposal"}
    )
    lead = journey(admin_user, "+919800000012", ["New"])
    actor = Actor(user=admin_user, channel=Channel.API)
    lead_move(actor=actor, lead=lead, stage_id=extra.pk)  # the furthest: the last step
    lead_move(actor=actor, lead=lead, stage_id=sales.stages.get(name="Contacted").pk)
    stage_archive(actor=Actor.system(), stage=extra)
    lead_move(actor=actor, lead=lead, stage_id=sales.stages.get(name="Lost").pk)
    lead.refresh_from_db()
    assert lead.furthest_stage_id == extra.pk


def test_the_funnel_and_the_rep_report_read_the_lead_counts_not_the_leads(
    admin_api, admin_client, journeys
):
    """Flat at any number of leads: both are sums of the lead counts' cells (leads.tally)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for read in (lambda: admin_api.get(FUNNEL), lambda: admin_client.get("/reports/")):
        with CaptureQueriesContext(connection) as queries:
            assert read().status_code == 200
        sql = " ".join(query["sql"] for query in queries.captured_queries)
        assert "leads_leadtally" in sql
        assert 'FROM "leads_lead"' not in sql


def test_a_lead_back_from_another_pipeline_keeps_what_it_reached_there(admin_api, admin_user):
    actor = Actor(user=admin_user, channel=Channel.API)
    sales = Pipeline.objects.get(is_default=True)
    partners = pipeline_create(
        actor=Actor.system(),
        fields={"name": "Partners"},
        stages=[{"name": "Intro", "status": "New"}, {"name": "Signed", "status": "Won"}],
    )
    lead = journey(admin_user, "+919800000011", ["New", "Proposal"])
    lead_move(actor=actor, lead=lead, stage_id=partners.stages.get(name="Intro").pk)
    lead.refresh_from_db()
    assert lead.furthest_stage_id == partners.stages.get(name="Intro").pk  # its pipeline's
    lead_move(actor=actor, lead=lead, stage_id=sales.stages.get(name="New").pk)
    lead.refresh_from_db()
    assert lead.furthest_stage_id == sales.stages.get(name="Proposal").pk
    found = rows(admin_api.get(FUNNEL))
    assert {name: found[name][:2] for name in ("New", "Contacted", "Proposal", "Won")} == {
        "New": (1, 1), "Contacted": (0, 1), "Proposal": (0, 1), "Won": (0, 0)
    }  # fmt: skip
    # A bulk move does the same, lead by lead: two leads in the same stage with the same
    # furthest stage there, but different histories in the pipeline they go back to.
    from leads.bulk import leads_bulk_update

    intro = partners.stages.get(name="Intro")
    newcomer = journey(admin_user, "+919800000012", ["Intro"], pipeline=partners)
    lead_move(actor=actor, lead=lead, stage_id=intro.pk)
    lead.refresh_from_db()
    assert (lead.stage_id, lead.furthest_stage_id) == (
        newcomer.stage_id,
        newcomer.furthest_stage_id,
    )
    contacted = sales.stages.get(name="Contacted")
    leads_bulk_update(
        actor=actor, lead_ids=[lead.pk, newcomer.pk], fields={"stage_id": contacted.pk}
    )
    lead.refresh_from_db()
    newcomer.refresh_from_db()
    assert lead.furthest_stage_id == sales.stages.get(name="Proposal").pk
    assert newcomer.furthest_stage_id == contacted.pk
