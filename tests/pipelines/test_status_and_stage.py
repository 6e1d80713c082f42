"""A lead's status is always its stage's, whichever way it is written: the API's create, merge,
bulk, PATCH and PUT, the pages, and the Django admin."""

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from events.models import Event
from events.services import Actor
from leads.models import Lead
from pipelines.services import pipeline_create
from tests.factories import make_lead

from .conftest import stage

pytestmark = pytest.mark.django_db

LEADS = "/api/v1/leads"


def error_of(response, status: int = 400) -> dict:
    assert response.status_code == status, response.content
    return response.json()["error"]


def in_step(lead_id) -> Lead:
    lead = Lead.objects.select_related("stage").get(pk=lead_id)
    assert lead.status == lead.stage.status
    return lead


# --- Create -------------------------------------------------------------------------------


def test_a_new_lead_goes_to_the_default_pipelines_stage_of_its_status(admin_api, sales):
    data = admin_api.post_json(LEADS, {"name": "A", "phone": "9800000001", "status": "Proposal"})
    data = data.json()["data"]
    assert (data["pipeline_id"], data["stage"]) == (str(sales.pk), "Proposal")
    in_step(data["id"])


def test_a_new_lead_in_a_stage_takes_its_status(admin_api, partners):
    demo = stage(partners, "Demo")
    body = {"name": "A", "phone": "9800000001", "stage_id": str(demo.pk)}
    data = admin_api.post_json(LEADS, body).json()["data"]
    assert (data["pipeline_id"], data["stage_id"], data["status"]) == (
        str(partners.pk), str(demo.pk), "Contacted"
    )  # fmt: skip


def test_a_pipeline_alone_means_its_first_stage_with_the_leads_status(admin_api, partners):
    body = {"name": "A", "phone": "9800000001", "pipeline_id": str(partners.pk)}
    assert admin_api.post_json(LEADS, body).json()["data"]["stage"] == "Intro"  # status New
    body = {**body, "phone": "9800000002", "status": "Contacted"}
    assert admin_api.post_json(LEADS, body).json()["data"]["stage"] == "Demo"  # the first


def test_a_pipeline_without_the_leads_status_takes_its_first_stage(admin_api, partners, sales):
    lead = make_lead(status="Qualified")  # Partners has no Qualified stage
    response = admin_api.patch(
        f"{LEADS}/{lead.pk}", {"pipeline_id": str(partners.pk)}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["data"]["stage"], response.json()["data"]["status"]) == ("Intro", "New")


def test_a_status_the_pipeline_has_no_stage_for_is_a_400_on_status(admin_api, partners):
    body = {
        "name": "A",
        "phone": "9800000001",
        "pipeline_id": str(partners.pk),
        "status": "Proposal",
    }
    assert error_of(admin_api.post_json(LEADS, body))["field"] == "status"
    assert not Lead.objects.exists()


def test_a_stage_and_a_status_that_disagree_are_a_400_on_status(admin_api, sales):
    won = stage(sales, "Won")
    body = {"name": "A", "phone": "9800000001", "stage_id": str(won.pk), "status": "New"}
    assert error_of(admin_api.post_json(LEADS, body))["field"] == "status"
    body["status"] = "Won"  # in agreement: fine
    assert admin_api.post_json(LEADS, body).status_code == 201


def test_a_stage_of_another_pipeline_is_a_400_on_stage_id(admin_api, sales, partners):
    body = {
        "name": "A", "phone": "9800000001", "pipeline_id": str(sales.pk),
        "stage_id": str(stage(partners, "Demo").pk),
    }  # fmt: skip
    assert error_of(admin_api.post_json(LEADS, body))["field"] == "stage_id"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("stage_id", "not-a-uuid"),
        ("stage_id", 42),
        ("stage_id", None),
        ("pipeline_id", "x"),
        ("pipeline_id", None),
    ],
)
def test_a_malformed_id_is_a_400_naming_it(admin_api, field, value):
    body = {"name": "A", "phone": "9800000001", field: value}
    assert error_of(admin_api.post_json(LEADS, body))["field"] == field


def test_unknown_ids_are_a_400_naming_them(admin_api):
    for field in ("stage_id", "pipeline_id"):
        body = {"name": "A", "phone": "9800000001", field: str(uuid.uuid4())}
        assert error_of(admin_api.post_json(LEADS, body))["field"] == field


# --- Merge and bulk -------------------------------------------------------------------------


def test_a_merge_that_sets_the_status_moves_the_lead(admin_api, sales):
    lead = make_lead(phone="+919800000001", status="New")
    response = admin_api.post_json(LEADS, {"name": "A", "phone": "9800000001", "status": "Won"})
    assert response.status_code == 200
    assert response.json()["data"]["stage"] == "Won"
    assert in_step(lead.pk).stage == stage(sales, "Won")


def test_a_fill_empty_merge_never_moves_the_lead(admin_api, sales, partners):
    lead = make_lead(phone="+919800000001", status="Qualified")
    body = {
        "name": "A",
        "phone": "9800000001",
        "status": "Won",
        "stage_id": str(stage(partners, "Demo").pk),
    }
    assert admin_api.post_json(f"{LEADS}?merge=fill_empty", body).status_code == 200
    assert in_step(lead.pk).stage == stage(sales, "Qualified")


def test_a_merge_without_placement_keeps_the_leads_stage(admin_api, partners):
    lead = make_lead(phone="+919800000001", stage=stage(partners, "Call back"))
    assert admin_api.post_json(LEADS, {"name": "B", "phone": "9800000001"}).status_code == 200
    assert in_step(lead.pk).stage.name == "Call back"


def test_bulk_places_each_lead_and_refuses_a_bad_stage_alone(admin_api, partners):
    leads = [
        {"name": "A", "phone": "9800000001", "stage_id": str(stage(partners, "Signed").pk)},
        {"name": "B", "phone": "9800000002", "stage_id": str(uuid.uuid4())},
        {"name": "C", "phone": "9800000003", "status": "Lost"},
    ]
    body = admin_api.post_json(f"{LEADS}/bulk", {"leads": leads}).json()
    assert [item["status"] for item in body["data"]] == [201, 400, 201]
    assert body["data"][1]["error"]["field"] == "stage_id"
    assert (body["data"][0]["data"]["stage"], body["data"][0]["data"]["status"]) == (
        "Signed",
        "Won",
    )
    assert body["data"][2]["data"]["stage"] == "Lost"
    for item in (body["data"][0], body["data"][2]):
        in_step(item["data"]["id"])


# --- PATCH and PUT --------------------------------------------------------------------------


def test_patching_the_status_moves_to_the_first_stage_with_it(admin_api, partners):
    lead = make_lead(stage=stage(partners, "Intro"))
    response = admin_api.patch(f"{LEADS}/{lead.pk}", {"status": "Contacted"}, format="json")
    assert response.json()["data"]["stage"] == "Demo"


def test_patching_the_status_a_lead_already_has_keeps_its_stage(admin_api, partners):
    lead = make_lead(stage=stage(partners, "Call back"))  # the second Contacted stage
    response = admin_api.patch(
        f"{LEADS}/{lead.pk}", {"status": "Contacted", "city": "Pune"}, format="json"
    )
    assert response.json()["data"]["stage"] == "Call back"
    assert list(Event.objects.get(lead_id=lead.pk).changes) == ["city"]


def test_patching_the_stage_alone_is_enough(admin_api, partners):
    lead = make_lead()
    signed = stage(partners, "Signed")
    response = admin_api.patch(f"{LEADS}/{lead.pk}", {"stage_id": str(signed.pk)}, format="json")
    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["pipeline_id"], data["stage"], data["status"]) == (
        str(partners.pk),
        "Signed",
        "Won",
    )
    assert data == admin_api.get(f"{LEADS}/{lead.pk}").json()["data"]


def test_a_refused_patch_changes_nothing(admin_api, sales, partners):
    lead = make_lead(status="Qualified")
    body = {"status": "New", "stage_id": str(stage(sales, "Won").pk), "city": "Pune"}
    assert error_of(admin_api.patch(f"{LEADS}/{lead.pk}", body, format="json"))["field"] == "status"
    lead = in_step(lead.pk)
    assert (lead.stage.name, lead.city) == ("Qualified", None)
    assert not Event.objects.filter(lead_id=lead.pk).exists()


def test_put_without_a_status_goes_back_to_new_in_the_leads_pipeline(admin_api, partners):
    lead = make_lead(stage=stage(partners, "Signed"))
    response = admin_api.put(
        f"{LEADS}/{lead.pk}", {"name": "A", "phone": "9800000009"}, format="json"
    )
    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["pipeline_id"], data["stage"], data["status"]) == (
        str(partners.pk),
        "Intro",
        "New",
    )


def test_put_with_a_stage_and_no_status_goes_to_that_stage(admin_api, sales):
    lead = make_lead(status="New")
    contacted = stage(sales, "Contacted")
    body = {"name": "A", "phone": "9800000009", "stage_id": str(contacted.pk)}
    response = admin_api.put(f"{LEADS}/{lead.pk}", body, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["data"]["stage"], response.json()["data"]["status"]) == (
        "Contacted", "Contacted"
    )  # fmt: skip


def test_put_into_a_pipeline_without_a_new_stage_takes_its_first_stage(admin_api):
    lean = pipeline_create(
        actor=Actor.system(),
        fields={"name": "Lean"},
        stages=[{"name": "Talking", "status": "Contacted"}, {"name": "Done", "status": "Won"}],
    )
    lead = make_lead(status="Proposal")
    body = {"name": "A", "phone": "9800000009", "pipeline_id": str(lean.pk)}
    response = admin_api.put(f"{LEADS}/{lead.pk}", body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["data"]["stage"] == "Talking"
    body = {"name": "A", "phone": "9800000009"}  # and again, now in Lean: still its first
    assert admin_api.put(f"{LEADS}/{lead.pk}", body, format="json").json()["data"]["stage"] == (
        "Talking"
    )


def test_put_with_a_status_and_no_stage_takes_the_pipelines_stage_of_it(admin_api, partners):
    lead = make_lead(stage=stage(partners, "Intro"))
    body = {"name": "A", "phone": "9800000009", "status": "Won"}
    assert admin_api.put(f"{LEADS}/{lead.pk}", body, format="json").json()["data"]["stage"] == (
        "Signed"
    )


# --- The pages and the admin ----------------------------------------------------------------


def test_the_status_buttons_on_the_lead_page_move_the_lead(admin_user, partners):
    client = Client()
    client.force_login(admin_user)
    lead = make_lead(stage=stage(partners, "Intro"))
    client.post(f"/leads/{lead.pk}/status/", {"status": "Won"})
    assert in_step(lead.pk).stage.name == "Signed"


def test_the_admin_moves_a_lead_by_its_stage_and_the_status_follows(admin_user, partners):
    client = Client()
    client.force_login(admin_user)
    lead = make_lead(name="Asha", phone="+919800000002")
    form = {
        "name": "Asha", "phone": "+919800000002", "email": "", "source": "API",
        "status": "New", "priority": "Medium", "tags": "[]",
        "stage": str(stage(partners, "Dropped").pk),
    }  # fmt: skip
    response = client.post(reverse("admin:leads_lead_change", args=[lead.pk]), form)
    assert response.status_code == 302
    lead = in_step(lead.pk)
    assert (lead.stage.name, lead.status) == ("Dropped", "Lost")
    assert Event.objects.get(lead_id=lead.pk).channel == "admin"


def test_the_admin_refuses_a_stage_and_status_that_disagree_next_to_the_field(admin_user, sales):
    client = Client()
    client.force_login(admin_user)
    lead = make_lead(name="Asha", phone="+919800000002")
    form = {
        "name": "Asha", "phone": "+919800000002", "email": "", "source": "API",
        "status": "Lost", "priority": "Medium", "tags": "[]", "stage": str(stage(sales, "Won").pk),
    }  # fmt: skip
    response = client.post(reverse("admin:leads_lead_change", args=[lead.pk]), form)
    assert response.status_code == 200
    assert "status" in response.context["adminform"].form.errors
    assert in_step(lead.pk).stage.name == "New"


def test_the_admin_creates_a_lead_in_the_stage_chosen(admin_user, partners):
    client = Client()
    client.force_login(admin_user)
    form = {
        "name": "Asha", "phone": "+919800000002", "email": "", "source": "API",
        "status": "Won", "priority": "Medium", "tags": "[]",
        "stage": str(stage(partners, "Signed").pk),
    }  # fmt: skip
    assert client.post(reverse("admin:leads_lead_add"), form).status_code == 302
    assert in_step(Lead.objects.get().pk).stage.name == "Signed"


def test_the_timeline_tells_a_move_in_words_without_ids(admin_user, admin_api, sales, partners):
    lead = make_lead(status="New")
    admin_api.patch(
        f"{LEADS}/{lead.pk}", {"stage_id": str(stage(partners, "Call back").pk)}, format="json"
    )
    admin_api.patch(
        f"{LEADS}/{lead.pk}", {"stage_id": str(stage(partners, "Demo").pk)}, format="json"
    )
    client = Client()
    client.force_login(admin_user)
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert "Moved to Call back in another pipeline (was New). Status New → Contacted." in page
    assert "Moved to Demo (was Call back)." in page
    assert "stage id" not in page
    assert "pipeline id" not in page


def test_a_move_between_stages_of_one_status_still_says_the_status(admin_api, partners):
    lead = make_lead(stage=stage(partners, "Demo"))
    call_back = stage(partners, "Call back")
    admin_api.post_json(
        f"/api/v1/pipelines/{partners.pk}/leads",
        {"lead_id": str(lead.pk), "stage_id": str(call_back.pk)},
    )
    changes = Event.objects.get(lead_id=lead.pk).changes
    assert changes["status"] == ["Contacted", "Contacted"]
    assert changes["stage"] == ["Demo", "Call back"]


def test_the_timeline_keeps_a_reassignment_made_with_a_move(admin_user, admin_api, rep):
    lead = make_lead(status="New")
    body = {"status": "Contacted", "assigned_to": rep.email}
    admin_api.patch(f"{LEADS}/{lead.pk}", body, format="json")
    client = Client()
    client.force_login(admin_user)
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert "Status New → Contacted. Assigned to rep@example.com (was nobody)." in page


def test_a_merge_on_the_timeline_names_the_stage_not_its_id(admin_user, admin_api):
    lead = make_lead(phone="+919800000001", status="New")
    admin_api.post_json(LEADS, {"name": "A", "phone": "9800000001", "status": "Won"})
    client = Client()
    client.force_login(admin_user)
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert "stage New → Won" in page
    assert "stage id" not in page


def test_the_admin_adds_a_lead_to_a_stage_with_the_status_left_as_it_came(admin_user, sales):
    client = Client()
    client.force_login(admin_user)
    form = {
        "name": "Asha", "phone": "+919800000002", "email": "", "source": "API",
        "status": "New", "priority": "Medium", "tags": "[]", "stage": str(stage(sales, "Won").pk),
    }  # fmt: skip
    assert client.post(reverse("admin:leads_lead_add"), form).status_code == 302
    lead = in_step(Lead.objects.get().pk)
    assert (lead.stage.name, lead.status) == ("Won", "Won")
