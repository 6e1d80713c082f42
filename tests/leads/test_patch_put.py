"""PATCH and PUT /api/v1/leads/{id} (issue 10, points 1 and 2): update one lead in place.

PATCH takes any subset of the editable fields, validated as on create; PUT replaces the whole
lead, omitted optional fields going back to their defaults. Neither ever merges: a phone or an
email another lead holds is a 409. Both answer 200 {"data": lead}, the same as a following GET,
and record one event with every changed field's previous and new value."""

import uuid

import pytest

from events.models import Event
from leads.models import Lead
from pipelines.models import Stage
from tests.factories import make_lead

pytestmark = pytest.mark.django_db

LEADS = "/api/v1/leads"
NON_NULLABLE = ["name", "source", "status", "priority", "tags"]


def url(lead) -> str:
    return f"{LEADS}/{getattr(lead, 'pk', lead)}"


def error_of(response, status=400):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    return response.json()["error"]


def patch(api, lead, body):
    return api.patch(url(lead), body, format="json")


def put(api, lead, body):
    return api.put(url(lead), body, format="json")


def ok(response) -> dict:
    assert response.status_code == 200, response.content
    assert set(response.json()) == {"data"}
    return response.json()["data"]


def snapshot(lead) -> dict:
    """The lead's row as stored, to prove a refused request changed nothing."""
    lead = Lead.objects.get(pk=lead.pk)
    return {f.attname: getattr(lead, f.attname) for f in Lead._meta.concrete_fields}


@pytest.fixture
def full_lead(rep):
    return make_lead(
        name="Asha Verma", phone="+919876543210", email="asha@example.com", company="Verma Traders",
        city="Pune", source="IVR", status="Qualified", priority="High", tags=["vip", "ivr"],
        deal_value=5000, notes="Wants 20 units", assigned_to=rep,
    )  # fmt: skip


@pytest.fixture
def rep2_api(other_rep, client_for):
    return client_for(other_rep)


# --- PATCH -----------------------------------------------------------------------------------


def test_patch_changes_only_the_sent_fields(admin_api, full_lead):
    before = admin_api.get(url(full_lead)).json()["data"]
    lead = ok(patch(admin_api, full_lead, {"city": "Mumbai", "status": "Proposal"}))
    proposal = Stage.objects.get(pipeline__is_default=True, status="Proposal")
    assert lead == {
        **before,
        "city": "Mumbai",
        "status": "Proposal",
        "stage": "Proposal",
        "stage_id": str(proposal.pk),
        "updated_at": lead["updated_at"],
    }


def test_patch_response_equals_a_following_get(admin_api, full_lead, rep):
    body = {
        "name": "Asha V.", "email": "Asha.V@Example.com", "phone": "+91 91234 56789",
        "company": "AV Exports", "city": "Nashik", "source": "Referral", "status": "Won",
        "priority": "Low", "tags": ["won"], "deal_value": 7500.25, "notes": "Closed",
        "assigned_to": "REP@example.com",
    }  # fmt: skip
    patched = ok(patch(admin_api, full_lead, body))
    assert patched == admin_api.get(url(full_lead)).json()["data"]
    assert {k: patched[k] for k in body} == {**body, "assigned_to": rep.email}
    assert Lead.objects.get(pk=full_lead.pk).phone_e164 == "+919123456789"


def test_patch_works_with_a_trailing_slash(admin_api, full_lead):
    response = admin_api.patch(f"{url(full_lead)}/", {"city": "Goa"}, format="json")
    assert ok(response)["city"] == "Goa"


@pytest.mark.parametrize(
    "field", ["email", "phone", "company", "city", "deal_value", "notes", "assigned_to"]
)
def test_patch_with_null_clears_a_nullable_field(admin_api, full_lead, field):
    lead = ok(patch(admin_api, full_lead, {field: None}))
    assert lead[field] is None
    assert admin_api.get(url(full_lead)).json()["data"][field] is None


@pytest.mark.parametrize("field", NON_NULLABLE)
def test_patch_with_null_for_a_field_that_cannot_be_null_is_400_naming_it(
    admin_api, full_lead, field
):
    before = snapshot(full_lead)
    error = error_of(patch(admin_api, full_lead, {field: None}))
    assert (error["code"], error["field"]) == ("invalid_request", field)
    assert snapshot(full_lead) == before


@pytest.mark.parametrize(
    ("stored", "body"),
    [
        ({"phone": "+919800000101"}, {"phone": None}),
        ({"phone": "+919800000102"}, {"phone": ""}),
        ({"email": "only@example.com"}, {"email": None}),
        ({"phone": "+919800000103", "email": "both@example.com"}, {"phone": None, "email": None}),
    ],
)
def test_a_lead_must_keep_a_phone_or_an_email(admin_api, stored, body):
    lead = make_lead(name="Contact", **stored)
    before = snapshot(lead)
    error = error_of(patch(admin_api, lead, body))
    assert (error["code"], error["field"]) == ("invalid_request", "phone")
    assert snapshot(lead) == before


def test_clearing_one_contact_while_the_other_remains_is_fine(admin_api, full_lead):
    assert ok(patch(admin_api, full_lead, {"phone": None}))["email"] == "asha@example.com"
    lead = Lead.objects.get(pk=full_lead.pk)
    assert (lead.phone, lead.phone_e164) == (None, None)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": 42}, "name"),
        ({"name": "N\x00"}, "name"),
        ({"phone": "12"}, "phone"),
        ({"phone": "call me"}, "phone"),
        ({"phone": 9876500002}, "phone"),
        ({"email": "not-an-email"}, "email"),
        ({"email": ""}, "email"),
        ({"company": "c" * 201}, "company"),
        ({"source": ""}, "source"),
        ({"status": "Open"}, "status"),
        ({"status": "new"}, "status"),
        ({"priority": "Urgent"}, "priority"),
        ({"tags": "vip"}, "tags"),
        ({"tags": [1, 2]}, "tags"),
        ({"tags": [""]}, "tags"),
        ({"tags": ["x"] * 51}, "tags"),
        ({"tags": ["t" * 51]}, "tags"),
        ({"deal_value": -1}, "deal_value"),
        ({"deal_value": "lots"}, "deal_value"),
        ({"deal_value": "5000"}, "deal_value"),
        ({"deal_value": 10.555}, "deal_value"),
        ({"deal_value": True}, "deal_value"),
        ({"assigned_to": "ghost@example.com"}, "assigned_to"),
        ({"assigned_to": ""}, "assigned_to"),
        ({"assigned_to": 42}, "assigned_to"),
        ({"city": "Pune", "status": "Sold"}, "status"),
    ],
)
def test_patch_validates_as_on_create_and_changes_nothing_on_error(
    admin_api, full_lead, body, field
):
    before = snapshot(full_lead)
    events = Event.objects.count()
    error = error_of(patch(admin_api, full_lead, body))
    assert (error["code"], error["field"]) == ("invalid_request", field)
    assert error["message"]
    assert snapshot(full_lead) == before
    assert Event.objects.count() == events


@pytest.mark.parametrize("body", [{}, None, []])
def test_patch_with_an_empty_body_is_400(admin_api, full_lead, body):
    before = snapshot(full_lead)
    error = error_of(patch(admin_api, full_lead, body))
    assert error["code"] == "invalid_request"
    assert snapshot(full_lead) == before


def test_patch_tags_replace_the_list(admin_api, full_lead):
    assert ok(patch(admin_api, full_lead, {"tags": ["callback"]}))["tags"] == ["callback"]
    assert ok(patch(admin_api, full_lead, {"tags": []}))["tags"] == []
    assert Lead.objects.get(pk=full_lead.pk).tags == []


def test_patch_to_its_own_phone_written_another_way_is_no_conflict(admin_api, full_lead):
    lead = ok(patch(admin_api, full_lead, {"phone": "098765-43210"}))
    assert lead["phone"] == "098765-43210"
    assert Lead.objects.get(pk=full_lead.pk).phone_e164 == "+919876543210"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": "098000 00555"}, "phone"),
        ({"phone": "+919800000555"}, "phone"),
        ({"email": "Taken@EXAMPLE.com"}, "email"),
        ({"city": "Delhi", "email": "taken@example.com"}, "email"),
    ],
)
def test_patch_to_a_phone_or_email_another_lead_holds_is_409_and_never_merges(
    admin_api, full_lead, body, field
):
    other = make_lead(name="Holder", phone="+919800000555", email="taken@example.com")
    before, other_before = snapshot(full_lead), snapshot(other)
    error = error_of(patch(admin_api, full_lead, body), 409)
    assert (error["code"], error["field"]) == ("conflict", field)
    assert snapshot(full_lead) == before
    assert snapshot(other) == other_before
    assert Lead.objects.count() == 2


def test_a_reps_phone_conflict_with_a_lead_they_cannot_see_is_409_revealing_nothing(
    rep_api, rep, other_rep
):
    mine = make_lead(name="Mine", phone="+919800000601", assigned_to=rep)
    theirs = make_lead(name="Secret Holder", phone="+919800000602", assigned_to=other_rep)
    response = patch(rep_api, mine, {"phone": "09800000602"})
    error = error_of(response, 409)
    assert (error["code"], error["field"]) == ("conflict", "phone")
    assert theirs.name not in response.content.decode()
    assert str(theirs.pk) not in response.content.decode()
    assert Lead.objects.get(pk=mine.pk).phone_e164 == "+919800000601"


@pytest.mark.parametrize("lead_id", ["5f0b2c1d-8e7a-4b3c-9d2e-1a0f9e8d7c6b", "not-a-uuid", "123"])
def test_patch_of_an_unknown_lead_is_404(admin_api, lead_id):
    error = error_of(admin_api.patch(f"{LEADS}/{lead_id}", {"city": "X"}, format="json"), 404)
    assert error["code"] == "not_found"


def test_a_reps_key_cannot_see_or_patch_another_reps_or_an_unassigned_lead(
    rep_api, rep2_api, other_rep
):
    theirs = make_lead(name="Theirs", phone="+919800000701", assigned_to=other_rep)
    unassigned = make_lead(name="Nobody's", phone="+919800000702")
    for lead in (theirs, unassigned):
        before = snapshot(lead)
        assert error_of(rep_api.get(url(lead)), 404)["code"] == "not_found"
        assert error_of(patch(rep_api, lead, {"name": "Stolen"}), 404)["code"] == "not_found"
        assert snapshot(lead) == before
    assert ok(patch(rep2_api, theirs, {"city": "Surat"}))["city"] == "Surat"


def test_a_reps_key_cannot_assign_their_lead_to_someone_else(rep_api, rep, other_rep):
    mine = make_lead(name="Mine", phone="+919800000801", assigned_to=rep)
    before = snapshot(mine)
    body = {"city": "Agra", "assigned_to": other_rep.email}
    error = error_of(patch(rep_api, mine, body), 403)
    assert (error["code"], error["field"]) == ("forbidden", "assigned_to")
    assert snapshot(mine) == before


def test_a_rep_can_patch_their_own_lead(rep_api, rep):
    mine = make_lead(name="Mine", phone="+919800000901", assigned_to=rep)
    lead = ok(patch(rep_api, mine, {"status": "Contacted", "assigned_to": rep.email}))
    assert (lead["status"], lead["assigned_to"]) == ("Contacted", rep.email)


def test_an_admin_can_reassign_and_unassign(admin_api, full_lead, other_rep):
    assert ok(patch(admin_api, full_lead, {"assigned_to": "Rep2@Example.com"}))["assigned_to"] == (
        other_rep.email
    )
    assert ok(patch(admin_api, full_lead, {"assigned_to": None}))["assigned_to"] is None


def test_patch_records_one_event_with_every_changed_fields_old_and_new_value(
    admin_api, admin_user, full_lead
):
    body = {"name": "Asha Verma", "city": "Mumbai", "status": "Won", "tags": ["vip"]}
    lead = ok(patch(admin_api, full_lead, body))
    event = Event.objects.get(lead_id=full_lead.pk)
    assert event.verb == "lead.updated"
    assert (event.subject_type, event.subject_id) == ("lead", str(full_lead.pk))
    assert (event.channel, event.actor, event.api_key) == ("api", admin_user, admin_api.api_key)
    # The name was sent unchanged: not a change.
    stages = {stage.name: str(stage.pk) for stage in Stage.objects.all()}
    assert event.changes == {
        "city": ["Pune", "Mumbai"], "status": ["Qualified", "Won"],
        "stage": ["Qualified", "Won"], "stage_id": [stages["Qualified"], stages["Won"]],
        "tags": [["vip", "ivr"], ["vip"]],
    }  # fmt: skip
    assert event.snapshot == lead


def test_patch_clearing_fields_records_their_previous_values(admin_api, full_lead):
    ok(patch(admin_api, full_lead, {"company": None, "notes": None, "assigned_to": None}))
    event = Event.objects.get(lead_id=full_lead.pk)
    assert event.changes == {
        "company": ["Verma Traders", None], "notes": ["Wants 20 units", None],
        "assigned_to": ["rep@example.com", None],
    }  # fmt: skip


def test_a_refused_patch_records_no_event(admin_api, rep_api, full_lead, other_rep):
    make_lead(name="Holder", phone="+919800000556")
    patch(admin_api, full_lead, {"phone": "+919800000556"})
    patch(admin_api, full_lead, {"status": "Sold"})
    patch(rep_api, full_lead, {"assigned_to": other_rep.email})
    assert not Event.objects.filter(lead_id=full_lead.pk).exists()


def test_patch_needs_the_write_permission(client_for, admin_user, full_lead):
    before = snapshot(full_lead)
    for permissions in ["read", "read,delete"]:
        api = client_for(admin_user, permissions=permissions)
        error = error_of(patch(api, full_lead, {"city": "X"}), 403)
        assert error["code"] == "forbidden"
    assert snapshot(full_lead) == before
    writer = client_for(admin_user, permissions="write")
    assert ok(patch(writer, full_lead, {"city": "X"}))["city"] == "X"


def test_patch_without_a_key_is_401(anon_api, full_lead):
    assert error_of(patch(anon_api, full_lead, {"city": "X"}), 401)["code"] == "unauthorized"


# --- PUT -------------------------------------------------------------------------------------


def test_put_replaces_the_lead_and_omitted_fields_go_back_to_their_defaults(admin_api, full_lead):
    lead = ok(put(admin_api, full_lead, {"name": "Asha", "phone": "+919876543210"}))
    assert lead == admin_api.get(url(full_lead)).json()["data"]
    assert lead["id"] == str(full_lead.pk)
    expected = {
        "name": "Asha", "phone": "+919876543210", "email": None, "company": None, "city": None,
        "source": "API", "status": "New", "priority": "Medium", "tags": [], "deal_value": None,
        "notes": None, "assigned_to": None,
    }  # fmt: skip
    assert {k: lead[k] for k in expected} == expected
    assert Lead.objects.count() == 1


def test_put_with_every_field_round_trips(admin_api, full_lead, other_rep):
    body = {
        "name": "Ravi Kumar", "email": "Ravi@Example.com", "phone": "+91 91234 56789",
        "company": "Kaveri Textiles", "city": "Chennai", "source": "Facebook Ads",
        "status": "Contacted", "priority": "Low", "tags": ["callback"], "deal_value": 125000.5,
        "notes": "Wants 200 units", "assigned_to": "REP2@example.com",
    }  # fmt: skip
    lead = ok(put(admin_api, full_lead, body))
    assert {k: lead[k] for k in body} == {**body, "assigned_to": other_rep.email}
    assert lead == admin_api.get(url(full_lead)).json()["data"]


def test_put_with_assigned_to_omitted_behaves_as_on_create(admin_api, rep_api, rep, full_lead):
    assert ok(put(admin_api, full_lead, {"name": "A", "email": "a@example.com"}))[
        "assigned_to"
    ] is (None)
    mine = make_lead(name="Mine", phone="+919800001001", assigned_to=rep)
    assert ok(put(rep_api, mine, {"name": "Mine", "phone": "+919800001001"}))["assigned_to"] == (
        rep.email
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": "+919876543210"}, "name"),
        ({"name": "   ", "phone": "+919876543210"}, "name"),
        ({"name": "No contact"}, "phone"),
        ({"name": "Nulls", "phone": None, "email": None}, "phone"),
        ({"name": "S", "phone": "+919876543210", "status": "Open"}, "status"),
        ({"name": "T", "phone": "+919876543210", "tags": [1]}, "tags"),
        ({"name": "D", "phone": "+919876543210", "deal_value": -5}, "deal_value"),
        ({"name": "E", "email": "nope"}, "email"),
        *[({"name": "N", "phone": "+919876543210", field: None}, field) for field in NON_NULLABLE],
    ],
)
def test_put_validates_as_on_create_and_changes_nothing_on_error(admin_api, full_lead, body, field):
    before = snapshot(full_lead)
    error = error_of(put(admin_api, full_lead, body))
    assert (error["code"], error["field"]) == ("invalid_request", field)
    assert snapshot(full_lead) == before
    assert not Event.objects.filter(lead_id=full_lead.pk).exists()


def test_put_to_a_phone_or_email_another_lead_holds_is_409_and_never_merges(admin_api, full_lead):
    other = make_lead(name="Holder", phone="+919800000555", email="taken@example.com")
    before, other_before = snapshot(full_lead), snapshot(other)
    for body, field in [
        ({"name": "A", "phone": "9800000555"}, "phone"),
        ({"name": "A", "phone": "+919876543210", "email": "TAKEN@example.com"}, "email"),
    ]:
        error = error_of(put(admin_api, full_lead, body), 409)
        assert (error["code"], error["field"]) == ("conflict", field)
    assert snapshot(full_lead) == before
    assert snapshot(other) == other_before


def test_put_of_an_unknown_or_invisible_lead_is_404(admin_api, rep_api, other_rep):
    theirs = make_lead(name="Theirs", phone="+919800001101", assigned_to=other_rep)
    before = snapshot(theirs)
    body = {"name": "Stolen", "phone": "+919800001101"}
    for api, lead_id in [(admin_api, uuid.uuid4()), (admin_api, "nope"), (rep_api, theirs.pk)]:
        assert error_of(put(api, lead_id, body), 404)["code"] == "not_found"
    assert snapshot(theirs) == before


def test_put_by_a_rep_assigning_to_someone_else_is_403(rep_api, rep, other_rep):
    mine = make_lead(name="Mine", phone="+919800001201", assigned_to=rep)
    before = snapshot(mine)
    body = {"name": "Mine", "phone": "+919800001201", "assigned_to": other_rep.email}
    error = error_of(put(rep_api, mine, body), 403)
    assert (error["code"], error["field"]) == ("forbidden", "assigned_to")
    assert snapshot(mine) == before


def test_put_records_one_event_with_every_changed_field(admin_api, full_lead):
    same_but_email_and_company = {
        "name": "Asha Verma", "phone": "+919876543210", "city": "Pune", "source": "IVR",
        "status": "Qualified", "priority": "High", "tags": ["vip", "ivr"], "deal_value": 5000,
        "notes": "Wants 20 units", "assigned_to": "rep@example.com",
    }  # fmt: skip
    ok(put(admin_api, full_lead, same_but_email_and_company))
    event = Event.objects.get(lead_id=full_lead.pk)
    assert (event.verb, event.channel) == ("lead.updated", "api")
    # Only what changed: the omitted email and company went back to null.
    assert event.changes == {
        "email": ["asha@example.com", None],
        "company": ["Verma Traders", None],
    }


def test_put_needs_the_write_permission(client_for, admin_user, full_lead):
    before = snapshot(full_lead)
    api = client_for(admin_user, permissions="read,delete")
    error = error_of(put(api, full_lead, {"name": "A", "phone": "+919876543210"}), 403)
    assert error["code"] == "forbidden"
    assert snapshot(full_lead) == before
