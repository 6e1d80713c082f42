"""The merge policy on POST /api/v1/leads (issue 10, point 5): the query parameter `merge`.

`update` (the default) is the documented merge: sent fields overwrite. `fill_empty` sets only the
fields that are empty (null, "" or []) on the matched lead, still adds tags, never changes source,
status or priority, fills `assigned_to` only when the lead has none, and adds sent `notes` to the
lead's timeline as a note instead of replacing its notes. `keep` changes nothing and answers 200
with the existing lead. Any other value is a 400 on `merge`."""

import pytest

from events.models import Event
from leads.models import Lead, Note
from tests.factories import make_lead

pytestmark = pytest.mark.django_db

LEADS = "/api/v1/leads"
PHONE = "+919800003001"


def post(api, merge, body):
    path = LEADS if merge is None else f"{LEADS}?merge={merge}"
    return api.post_json(path, body)


def error_of(response, status=400):
    assert response.status_code == status, response.content
    return response.json()["error"]


def merged(response) -> dict:
    assert response.status_code == 200, response.content
    return response.json()["data"]


def snapshot(lead) -> dict:
    lead = Lead.objects.get(pk=lead.pk)
    return {f.attname: getattr(lead, f.attname) for f in Lead._meta.concrete_fields}


def get(api, lead) -> dict:
    return api.get(f"{LEADS}/{lead.pk}").json()["data"]


@pytest.fixture
def returning():
    """A returning customer: some fields filled, some empty."""
    return make_lead(
        name="Asha Verma", phone=PHONE, email=None, company=None, city="Pune", source="Web form",
        status="Qualified", priority="Low", tags=["hot"], deal_value=None,
        notes="Wants 20 units", assigned_to=None,
    )  # fmt: skip


IVR_BODY = {
    "name": f"IVR caller {PHONE}", "phone": "098000-03001", "email": "asha@example.com",
    "company": "Verma Traders", "city": "Mumbai", "source": "IVR", "status": "New",
    "priority": "High", "tags": ["ivr"], "deal_value": 5000, "notes": "Called the IVR",
}  # fmt: skip


# --- update (the default) --------------------------------------------------------------------


@pytest.mark.parametrize("merge", [None, "update"])
def test_update_is_the_default_and_overwrites_sent_fields(admin_api, returning, merge):
    lead = merged(post(admin_api, merge, IVR_BODY))
    assert lead["id"] == str(returning.pk)
    expected = {**IVR_BODY, "tags": ["hot", "ivr"], "deal_value": 5000.0}
    assert {k: lead[k] for k in IVR_BODY} == expected
    assert Lead.objects.count() == 1


# --- fill_empty ------------------------------------------------------------------------------


def test_fill_empty_sets_only_the_fields_that_are_empty(admin_api, returning):
    lead = merged(post(admin_api, "fill_empty", IVR_BODY))
    assert lead["id"] == str(returning.pk)
    assert lead == get(admin_api, returning)
    assert lead["name"] == "Asha Verma"
    assert lead["city"] == "Pune"
    assert lead["email"] == "asha@example.com"
    assert lead["company"] == "Verma Traders"
    assert lead["deal_value"] == 5000.0
    assert Lead.objects.count() == 1


def test_fill_empty_never_changes_source_status_or_priority(admin_api, returning):
    lead = merged(post(admin_api, "fill_empty", IVR_BODY))
    assert (lead["source"], lead["status"], lead["priority"]) == ("Web form", "Qualified", "Low")


def test_fill_empty_still_adds_tags(admin_api, returning):
    body = {"name": "x", "phone": PHONE, "tags": ["IVR", "HOT"]}
    assert merged(post(admin_api, "fill_empty", body))["tags"] == ["hot", "IVR"]


def test_fill_empty_adds_sent_notes_to_the_timeline_instead_of_replacing_the_notes(
    admin_api, returning
):
    lead = merged(post(admin_api, "fill_empty", IVR_BODY))
    assert lead["notes"] == "Wants 20 units"
    note = Note.objects.get(lead_id=returning.pk)
    assert note.text == "Called the IVR"
    assert Event.objects.filter(lead_id=returning.pk, verb="lead.note_added").count() == 1


@pytest.mark.parametrize(
    ("field", "empty", "sent"),
    [
        ("company", None, "Verma Traders"),
        ("company", "", "Verma Traders"),
        ("city", "", "Mumbai"),
        ("email", None, "asha@example.com"),
        ("deal_value", None, 250.5),
        ("tags", [], ["ivr"]),
    ],
)
def test_fill_empty_treats_null_empty_string_and_empty_list_as_empty(admin_api, field, empty, sent):
    lead = make_lead(name="Asha", phone=PHONE, **{field: empty})
    data = merged(post(admin_api, "fill_empty", {"name": "x", "phone": PHONE, field: sent}))
    assert data[field] == sent
    assert get(admin_api, lead)[field] == sent


def test_fill_empty_fills_a_missing_phone_on_a_lead_matched_by_email(admin_api):
    lead = make_lead(name="Mail", email="asha@example.com", company="Kept")
    body = {"name": "x", "email": "ASHA@example.com", "phone": "98000 03001", "company": "New"}
    data = merged(post(admin_api, "fill_empty", body))
    assert data["id"] == str(lead.pk)
    assert (data["phone"], data["company"]) == ("98000 03001", "Kept")
    assert Lead.objects.get(pk=lead.pk).phone_e164 == PHONE


def test_fill_empty_never_clears_a_filled_field_with_a_sent_null(admin_api, returning):
    body = {"name": "x", "phone": PHONE, "city": None, "notes": None}
    lead = merged(post(admin_api, "fill_empty", body))
    assert (lead["city"], lead["notes"]) == ("Pune", "Wants 20 units")


def test_fill_empty_fills_assigned_to_only_when_the_lead_has_none(
    admin_api, returning, rep, other_rep
):
    body = {"name": "x", "phone": PHONE, "assigned_to": rep.email}
    assert merged(post(admin_api, "fill_empty", body))["assigned_to"] == rep.email
    body = {"name": "x", "phone": PHONE, "assigned_to": other_rep.email}
    assert merged(post(admin_api, "fill_empty", body))["assigned_to"] == rep.email


def test_fill_empty_records_only_what_it_changed(admin_api, returning):
    merged(post(admin_api, "fill_empty", {**IVR_BODY, "notes": None}))
    event = Event.objects.get(lead_id=returning.pk, verb="lead.merged")
    assert event.changes == {
        "email": [None, "asha@example.com"], "company": [None, "Verma Traders"],
        "tags": [["hot"], ["hot", "ivr"]], "deal_value": [None, 5000.0],
    }  # fmt: skip


def test_fill_empty_without_a_match_creates_the_lead_as_sent(admin_api):
    response = post(admin_api, "fill_empty", IVR_BODY)
    assert response.status_code == 201
    lead = response.json()["data"]
    assert {k: lead[k] for k in IVR_BODY} == {**IVR_BODY, "deal_value": 5000.0}


def test_fill_empty_by_a_rep_on_their_own_lead_keeps_it_theirs(rep_api, rep):
    mine = make_lead(name="Mine", phone=PHONE, company=None, assigned_to=rep)
    data = merged(post(rep_api, "fill_empty", {"name": "x", "phone": PHONE, "company": "Co"}))
    assert (data["id"], data["company"], data["assigned_to"]) == (str(mine.pk), "Co", rep.email)


# --- keep ------------------------------------------------------------------------------------


def test_keep_changes_nothing_and_answers_200_with_the_existing_lead(admin_api, returning):
    before_row = snapshot(returning)
    before = get(admin_api, returning)
    response = post(admin_api, "keep", IVR_BODY)
    assert merged(response) == before
    assert snapshot(returning) == before_row
    assert Lead.objects.count() == 1
    assert not Note.objects.filter(lead_id=returning.pk).exists()


def test_keep_does_not_even_add_tags(admin_api, returning):
    body = {"name": "x", "phone": PHONE, "tags": ["ivr"]}
    assert merged(post(admin_api, "keep", body))["tags"] == ["hot"]
    assert Lead.objects.get(pk=returning.pk).tags == ["hot"]


def test_keep_without_a_match_creates_the_lead(admin_api):
    response = post(admin_api, "keep", {"name": "New", "phone": PHONE, "source": "IVR"})
    assert response.status_code == 201
    assert response.json()["data"]["source"] == "IVR"
    assert Lead.objects.count() == 1


# --- every policy ----------------------------------------------------------------------------


@pytest.mark.parametrize("merge", ["keep", "fill_empty", "update"])
def test_no_policy_lets_a_rep_touch_or_see_a_lead_they_cannot_see(rep_api, other_rep, merge):
    theirs = make_lead(name="Secret Holder", phone=PHONE, company=None, assigned_to=other_rep)
    before = snapshot(theirs)
    response = post(rep_api, merge, {"name": "x", "phone": "098000 03001", "company": "Co"})
    error = error_of(response, 409)
    assert error["code"] == "conflict"
    assert theirs.name not in response.content.decode()
    assert str(theirs.pk) not in response.content.decode()
    assert snapshot(theirs) == before
    assert Lead.objects.count() == 1


@pytest.mark.parametrize(
    "query",
    ["merge=overwrite", "merge=UPDATE", "merge=Keep", "merge=fill-empty", "merge=",
     "merge=keep&merge=update"],
)  # fmt: skip
def test_any_other_merge_value_is_400_on_merge(admin_api, returning, query):
    before = snapshot(returning)
    for body in [IVR_BODY, {"name": "Brand new", "phone": "+919800003999"}]:
        error = error_of(admin_api.post_json(f"{LEADS}?{query}", body))
        assert (error["code"], error["field"]) == ("invalid_request", "merge")
    assert snapshot(returning) == before
    assert Lead.objects.count() == 1
