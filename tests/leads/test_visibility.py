"""Row-level security: a key acts as its linked user. Two reps and an admin."""

import pytest

from leads.models import Lead
from tests.factories import make_call, make_lead

pytestmark = pytest.mark.django_db

LEADS = "/api/v1/leads"


@pytest.fixture
def world(rep, other_rep, admin_user):
    return {
        "mine": make_lead(name="mine", phone="+919800000011", assigned_to=rep),
        "theirs": make_lead(
            name="theirs", phone="+919800000022", email="t@example.com", assigned_to=other_rep
        ),
        "unassigned": make_lead(name="unassigned", phone="+919800000033"),
    }


@pytest.fixture
def rep2_api(other_rep, client_for):
    return client_for(other_rep)


def names(response):
    return sorted(lead["name"] for lead in response.json()["data"])


def test_admin_sees_every_lead(world, admin_api):
    assert names(admin_api.get(LEADS)) == ["mine", "theirs", "unassigned"]


def test_each_rep_sees_only_their_leads(world, rep_api, rep2_api):
    assert names(rep_api.get(LEADS)) == ["mine"]
    assert names(rep2_api.get(LEADS)) == ["theirs"]
    assert rep_api.get(LEADS, {"assigned_to": "rep2@example.com"}).json()["data"] == []


def test_another_reps_lead_is_404_to_read_and_delete(world, rep_api):
    theirs = world["theirs"].pk
    for response in [rep_api.get(f"{LEADS}/{theirs}"), rep_api.delete(f"{LEADS}/{theirs}")]:
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert Lead.objects.filter(pk=theirs).exists()


def test_rep_cannot_log_or_see_calls_on_another_reps_lead(world, rep_api):
    theirs = world["theirs"]
    call = make_call(theirs)
    response = rep_api.post_json(
        "/api/v1/call-logs",
        {"lead_id": str(theirs.pk), "call_type": "Outbound", "duration_seconds": 30},
    )
    assert response.status_code == 404
    assert response.json()["error"]["field"] == "lead_id"
    assert rep_api.get("/api/v1/call-logs").json()["data"] == []
    assert rep_api.get(f"/api/v1/call-logs/{call.pk}").status_code == 404
    assert rep_api.delete(f"/api/v1/call-logs/{call.pk}").status_code == 404


def test_a_reps_new_lead_is_assigned_to_them(world, rep_api, rep):
    bodies = [
        {"name": "a", "phone": "+919800000044"},
        {"name": "b", "phone": "+919800000055", "assigned_to": None},
        {"name": "c", "phone": "+919800000066", "assigned_to": "rep@example.com"},
    ]
    for body in bodies:
        response = rep_api.post_json(LEADS, body)
        assert response.status_code == 201
        assert response.json()["data"]["assigned_to"] == rep.email


def test_rep_assigning_to_someone_else_is_403_on_assigned_to(world, rep_api):
    response = rep_api.post_json(
        LEADS, {"name": "x", "phone": "+919800000077", "assigned_to": "rep2@example.com"}
    )
    assert response.status_code == 403
    assert response.json()["error"]["field"] == "assigned_to"
    assert not Lead.objects.filter(phone_e164="+919800000077").exists()


def test_rep_duplicating_a_lead_they_cannot_see_gets_a_409_that_reveals_nothing(world, rep_api):
    theirs = world["theirs"]
    for body in [
        {"name": "dup", "phone": "098000 00022"},
        {"name": "dup", "email": "T@example.com"},
    ]:
        response = rep_api.post_json(LEADS, body)
        assert response.status_code == 409
        error = response.json()["error"]
        assert error["code"] == "conflict"
        assert theirs.name not in response.content.decode()
        assert str(theirs.pk) not in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.name == "theirs"


def test_rep_merging_into_their_own_lead_works_and_it_stays_theirs(world, rep_api, rep):
    response = rep_api.post_json(
        LEADS, {"name": "mine again", "phone": "+919800000011", "assigned_to": None}
    )
    assert response.status_code == 200
    assert response.json()["data"]["assigned_to"] == rep.email


def test_admin_can_assign_and_reassign(world, admin_api):
    response = admin_api.post_json(
        LEADS, {"name": "moved", "phone": "+919800000011", "assigned_to": "rep2@example.com"}
    )
    assert response.json()["data"]["assigned_to"] == "rep2@example.com"
    unassigned = admin_api.post_json(
        LEADS, {"name": "moved", "phone": "+919800000011", "assigned_to": None}
    )
    assert unassigned.json()["data"]["assigned_to"] is None
