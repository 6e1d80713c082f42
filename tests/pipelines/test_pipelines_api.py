"""GET /api/v1/pipelines, GET /api/v1/pipelines/{id}, POST /api/v1/pipelines/{id}/leads."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.models import Event
from events.services import Actor
from pipelines.services import pipeline_archive, stage_archive, stage_create
from tests.factories import make_lead

from .conftest import stage

pytestmark = pytest.mark.django_db

PIPELINES = "/api/v1/pipelines"


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.content
    return response.json()["error"]


def test_the_default_pipeline_lists_its_stages_in_order_with_their_settings(admin_api, sales):
    body = admin_api.get(PIPELINES).json()
    assert body["pagination"]["total"] == 1
    (pipeline,) = body["data"]
    assert (pipeline["id"], pipeline["name"], pipeline["is_default"]) == (
        str(sales.pk),
        "Sales",
        True,
    )
    names = [s["name"] for s in pipeline["stages"]]
    assert names == ["New", "Contacted", "Qualified", "Proposal", "Won", "Lost"]
    assert [s["status"] for s in pipeline["stages"]] == names
    assert [s["position"] for s in pipeline["stages"]] == [1, 2, 3, 4, 5, 6]
    first = pipeline["stages"][0]
    assert set(first) == {
        "id", "name", "position", "status", "probability", "rotting_days", "lead_count",
        "deal_value_total",
    }  # fmt: skip
    assert (first["probability"], first["rotting_days"]) == (10, None)
    assert (first["lead_count"], first["deal_value_total"]) == (0, 0)
    assert uuid.UUID(first["id"]).version == 4


def test_counts_and_sums_are_of_the_leads_in_each_stage_now(admin_api, sales, partners):
    make_lead(status="New", deal_value=1000)
    make_lead(status="New", deal_value=250.5)
    make_lead(status="New")  # no value: counted, adds nothing
    make_lead(stage=stage(partners, "Demo"), deal_value=70)
    body = admin_api.get(PIPELINES).json()
    assert [p["name"] for p in body["data"]] == ["Sales", "Partners"]  # the default first
    by_name = {p["name"]: {s["name"]: s for s in p["stages"]} for p in body["data"]}
    assert by_name["Sales"]["New"]["lead_count"] == 3
    assert by_name["Sales"]["New"]["deal_value_total"] == 1250.5
    assert by_name["Sales"]["Won"]["lead_count"] == 0
    assert by_name["Partners"]["Demo"]["lead_count"] == 1
    assert by_name["Partners"]["Demo"]["deal_value_total"] == 70
    assert by_name["Partners"]["Demo"]["rotting_days"] == 7


def test_counts_and_sums_read_the_lead_counts_not_the_leads(admin_api, sales):
    """The same at any number of leads: a sum of the stages' cells (leads.tally.per_stage)."""
    make_lead(status="New", deal_value=10)
    with CaptureQueriesContext(connection) as queries:
        body = admin_api.get(PIPELINES).json()
    assert body["data"][0]["stages"][0]["lead_count"] == 1
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    assert "leads_leadtally" in sql
    assert 'FROM "leads_lead"' not in sql


def test_a_reps_key_counts_only_the_reps_leads(client_for, rep, other_rep, admin_api):
    make_lead(status="Won", assigned_to=rep, deal_value=100)
    make_lead(status="Won", assigned_to=other_rep, deal_value=900)
    make_lead(status="Won", deal_value=5)  # nobody's
    won = {}
    for user in (rep, other_rep):
        stages = client_for(user).get(PIPELINES).json()["data"][0]["stages"]
        won[user.email] = next(s for s in stages if s["name"] == "Won")
    assert (won[rep.email]["lead_count"], won[rep.email]["deal_value_total"]) == (1, 100)
    assert (won[other_rep.email]["lead_count"], won[other_rep.email]["deal_value_total"]) == (
        1,
        900,
    )
    stages = admin_api.get(PIPELINES).json()["data"][0]["stages"]
    assert next(s for s in stages if s["name"] == "Won")["lead_count"] == 3


def test_archived_pipelines_and_stages_are_not_listed(admin_api, sales, partners):
    extra = stage_create(
        actor=Actor.system(), pipeline=sales, fields={"name": "Parked", "status": "Lost"}
    )
    stage_archive(actor=Actor.system(), stage=extra)
    pipeline_archive(actor=Actor.system(), pipeline=partners)
    body = admin_api.get(PIPELINES).json()
    assert [p["name"] for p in body["data"]] == ["Sales"]
    assert "Parked" not in [s["name"] for s in body["data"][0]["stages"]]
    assert admin_api.get(f"{PIPELINES}/{partners.pk}").status_code == 404


def test_one_pipeline_reads_as_in_the_list(admin_api, partners):
    listed = admin_api.get(PIPELINES).json()["data"][1]
    response = admin_api.get(f"{PIPELINES}/{partners.pk}")
    assert response.status_code == 200
    assert response.json() == {"data": listed}


def test_an_unknown_pipeline_is_a_404(admin_api):
    assert error_of(admin_api.get(f"{PIPELINES}/{uuid.uuid4()}"), 404)["code"] == "not_found"
    assert admin_api.get(f"{PIPELINES}/not-a-uuid").status_code == 404


def test_listing_pipelines_needs_read_and_moving_needs_write(client_for, admin_user, sales):
    lead = make_lead()
    write_only = client_for(admin_user, permissions="write")
    assert error_of(write_only.get(PIPELINES), 403)["code"] == "forbidden"
    read_only = client_for(admin_user, permissions="read")
    body = {"lead_id": str(lead.pk), "stage_id": str(stage(sales, "Won").pk)}
    assert error_of(read_only.post_json(f"{PIPELINES}/{sales.pk}/leads", body), 403)
    assert read_only.get(PIPELINES).status_code == 200


# --- Moving a lead ----------------------------------------------------------------------


def move(api, pipeline, lead, stage_id):
    return api.post_json(
        f"{PIPELINES}/{pipeline.pk}/leads", {"lead_id": str(lead.pk), "stage_id": str(stage_id)}
    )


def test_a_move_answers_the_lead_in_its_new_stage_with_its_status(admin_api, sales):
    lead = make_lead(status="New")
    won = stage(sales, "Won")
    response = move(admin_api, sales, lead, won.pk)
    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["stage_id"], data["stage"], data["status"]) == (str(won.pk), "Won", "Won")
    assert data == admin_api.get(f"/api/v1/leads/{lead.pk}").json()["data"]
    lead.refresh_from_db()
    assert (lead.stage_id, lead.status) == (won.pk, "Won")


def test_a_move_is_one_event_with_the_previous_stage_and_status(admin_api, sales):
    lead = make_lead(status="Qualified")
    before = stage(sales, "Qualified")
    won = stage(sales, "Won")
    move(admin_api, sales, lead, won.pk)
    (event,) = Event.objects.filter(lead_id=lead.pk)
    assert event.verb == "lead.updated"
    assert event.changes == {
        "status": ["Qualified", "Won"],
        "stage": ["Qualified", "Won"],
        "stage_id": [str(before.pk), str(won.pk)],
    }
    assert (event.channel, event.api_key) == ("api", admin_api.api_key)


def test_a_move_to_another_pipeline_records_the_previous_pipeline(admin_api, sales, partners):
    lead = make_lead(status="New")
    demo = stage(partners, "Demo")
    data = move(admin_api, partners, lead, demo.pk).json()["data"]
    assert (data["pipeline_id"], data["stage"], data["status"]) == (
        str(partners.pk),
        "Demo",
        "Contacted",
    )
    event = Event.objects.get(lead_id=lead.pk)
    assert event.changes["pipeline_id"] == [str(sales.pk), str(partners.pk)]


def test_a_move_to_the_current_stage_answers_200_and_records_nothing(admin_api, sales):
    lead = make_lead(status="Proposal")
    response = move(admin_api, sales, lead, stage(sales, "Proposal").pk)
    assert response.status_code == 200
    assert response.json()["data"]["stage"] == "Proposal"
    assert not Event.objects.filter(lead_id=lead.pk).exists()


def test_a_stage_of_another_pipeline_is_a_400_on_stage_id(admin_api, sales, partners):
    lead = make_lead()
    error = error_of(move(admin_api, sales, lead, stage(partners, "Demo").pk), 400)
    assert error["field"] == "stage_id"
    lead.refresh_from_db()
    assert lead.stage.name == "New"


def test_an_unknown_or_archived_stage_is_a_400_on_stage_id(admin_api, sales):
    lead = make_lead()
    assert error_of(move(admin_api, sales, lead, uuid.uuid4()), 400)["field"] == "stage_id"
    parked = stage_create(
        actor=Actor.system(), pipeline=sales, fields={"name": "Parked", "status": "Lost"}
    )
    stage_archive(actor=Actor.system(), stage=parked)
    assert error_of(move(admin_api, sales, lead, parked.pk), 400)["field"] == "stage_id"


def test_a_lead_the_key_cannot_see_is_a_404(rep_api, other_rep, sales):
    theirs = make_lead(assigned_to=other_rep)
    error = error_of(move(rep_api, sales, theirs, stage(sales, "Won").pk), 404)
    assert error["field"] == "lead_id"
    theirs.refresh_from_db()
    assert theirs.status == "New"
    missing = make_lead()
    missing.pk = uuid.uuid4()
    assert error_of(move(rep_api, sales, missing, stage(sales, "Won").pk), 404)


def test_a_rep_moves_their_own_lead(rep_api, rep, sales):
    lead = make_lead(assigned_to=rep)
    assert move(rep_api, sales, lead, stage(sales, "Contacted").pk).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "lead_id"),
        ({"lead_id": "x", "stage_id": str(uuid.uuid4())}, "lead_id"),
        ({"lead_id": str(uuid.uuid4())}, "stage_id"),
        ({"lead_id": str(uuid.uuid4()), "stage_id": 12}, "stage_id"),
    ],
)
def test_a_bad_move_body_is_a_400_naming_the_field(admin_api, sales, body, field):
    response = admin_api.post_json(f"{PIPELINES}/{sales.pk}/leads", body)
    assert error_of(response, 400)["field"] == field


def test_a_move_into_an_unknown_pipeline_is_a_404(admin_api, sales):
    lead = make_lead()
    response = admin_api.post_json(
        f"{PIPELINES}/{uuid.uuid4()}/leads",
        {"lead_id": str(lead.pk), "stage_id": str(stage(sales, "Won").pk)},
    )
    assert error_of(response, 404)["code"] == "not_found"


# --- Cost ---------------------------------------------------------------------------------


def test_listing_costs_the_same_queries_whatever_the_stages_and_leads(admin_api, sales, partners):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_api.get(PIPELINES).status_code == 200
        return len(captured)

    queries()  # (the key's first use of the minute also records when it was used)
    few = queries()
    for index in range(8):
        stage_create(
            actor=Actor.system(), pipeline=partners, fields={"name": f"S{index}", "status": "New"}
        )
    for index in range(30):
        make_lead(status=["New", "Won", "Lost"][index % 3], deal_value=index)
    assert queries() == few
