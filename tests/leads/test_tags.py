"""Tags on one lead (issue 10, point 3).

POST /api/v1/leads/{id}/tags (Write) adds tags: a union in which a tag equal to an existing one
ignoring case is not added twice, with the limits of create. DELETE /api/v1/leads/{id}/tags/{tag}
(Delete) removes the tag matched ignoring case, the tag URL-encoded in the path. Both answer
200 {"data": lead}."""

import uuid
from urllib.parse import quote

import pytest

from leads.models import Lead
from tests.factories import make_lead

pytestmark = pytest.mark.django_db

LEADS = "/api/v1/leads"


def tags_url(lead) -> str:
    return f"{LEADS}/{getattr(lead, 'pk', lead)}/tags"


def tag_url(lead, tag: str) -> str:
    return f"{tags_url(lead)}/{quote(tag, safe='')}"


def add(api, lead, tags):
    return api.post_json(tags_url(lead), {"tags": tags})


def error_of(response, status=400):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    return response.json()["error"]


def ok(response) -> dict:
    assert response.status_code == 200, response.content
    assert set(response.json()) == {"data"}
    return response.json()["data"]


def stored_tags(lead) -> list:
    return Lead.objects.get(pk=lead.pk).tags


@pytest.fixture
def lead():
    return make_lead(name="Tagged", phone="+919800002001", tags=["hot"])


# --- Adding ----------------------------------------------------------------------------------


def test_adding_tags_appends_them_and_answers_the_lead(admin_api, lead):
    data = ok(add(admin_api, lead, ["vip", "callback"]))
    assert data["tags"] == ["hot", "vip", "callback"]
    assert data == admin_api.get(f"{LEADS}/{lead.pk}").json()["data"]
    assert stored_tags(lead) == ["hot", "vip", "callback"]


def test_a_tag_equal_to_an_existing_one_ignoring_case_is_not_added_twice(admin_api):
    lead = make_lead(name="Case", phone="+919800002002", tags=["VIP", "Hot Lead"])
    data = ok(add(admin_api, lead, ["vip", "hot lead", "new"]))
    assert data["tags"] == ["VIP", "Hot Lead", "new"]


def test_adding_only_tags_the_lead_has_changes_nothing(admin_api, lead):
    assert ok(add(admin_api, lead, ["HOT"]))["tags"] == ["hot"]
    assert stored_tags(lead) == ["hot"]


def test_adding_tags_keeps_every_other_field(admin_api, lead):
    before = admin_api.get(f"{LEADS}/{lead.pk}").json()["data"]
    after = ok(add(admin_api, lead, ["vip"]))
    del before["tags"], before["updated_at"], after["tags"], after["updated_at"]
    assert after == before


@pytest.mark.parametrize(
    "body",
    [
        {"tags": "vip"},
        {"tags": [1, 2]},
        {"tags": [""]},
        {"tags": ["t" * 51]},
        {"tags": ["x\x00"]},
        {"tags": None},
        {"tags": [f"n{i}" for i in range(51)]},
        {},
    ],
)
def test_bad_tags_are_400_on_tags(admin_api, lead, body):
    error = error_of(admin_api.post_json(tags_url(lead), body))
    assert (error["code"], error["field"]) == ("invalid_request", "tags")
    assert stored_tags(lead) == ["hot"]


def test_adding_cannot_grow_a_lead_past_50_tags(admin_api):
    lead = make_lead(name="Full", phone="+919800002003", tags=[f"a{i}" for i in range(45)])
    error = error_of(add(admin_api, lead, [f"b{i}" for i in range(6)]))
    assert error["field"] == "tags"
    assert len(stored_tags(lead)) == 45
    assert len(ok(add(admin_api, lead, [f"b{i}" for i in range(5)]))["tags"]) == 50


def test_adding_tags_needs_the_write_permission(client_for, admin_user, lead):
    api = client_for(admin_user, permissions="read,delete")
    assert error_of(add(api, lead, ["vip"]), 403)["code"] == "forbidden"
    assert stored_tags(lead) == ["hot"]


def test_adding_tags_to_an_unknown_or_invisible_lead_is_404(admin_api, rep_api, other_rep):
    theirs = make_lead(name="Theirs", phone="+919800002004", tags=["x"], assigned_to=other_rep)
    unassigned = make_lead(name="Nobody", phone="+919800002005", tags=["x"])
    for api, target in [
        (admin_api, uuid.uuid4()),
        (admin_api, "not-a-uuid"),
        (rep_api, theirs.pk),
        (rep_api, unassigned.pk),
    ]:
        assert error_of(add(api, target, ["vip"]), 404)["code"] == "not_found"
    assert stored_tags(theirs) == stored_tags(unassigned) == ["x"]


def test_a_rep_can_tag_their_own_lead(rep_api, rep):
    mine = make_lead(name="Mine", phone="+919800002006", assigned_to=rep)
    assert ok(add(rep_api, mine, ["callback"]))["tags"] == ["callback"]


# --- Removing --------------------------------------------------------------------------------


def test_deleting_a_tag_removes_it_and_answers_the_lead(admin_api):
    lead = make_lead(name="Del", phone="+919800002101", tags=["hot", "vip", "ivr"])
    data = ok(admin_api.delete(tag_url(lead, "vip")))
    assert data["tags"] == ["hot", "ivr"]
    assert data == admin_api.get(f"{LEADS}/{lead.pk}").json()["data"]
    assert stored_tags(lead) == ["hot", "ivr"]


def test_a_trailing_slash_after_the_tag_is_not_part_of_it(admin_api):
    lead = make_lead(name="Del", phone="+919800002104", tags=["vip", "a/b"])
    assert ok(admin_api.delete(tag_url(lead, "vip") + "/"))["tags"] == ["a/b"]
    assert ok(admin_api.delete(f"{tags_url(lead)}/a/b/"))["tags"] == []


def test_deleting_a_tag_matches_it_ignoring_case(admin_api):
    lead = make_lead(name="Del", phone="+919800002102", tags=["VIP", "hot"])
    assert ok(admin_api.delete(tag_url(lead, "vip")))["tags"] == ["hot"]


@pytest.mark.parametrize(
    ("tag", "sent"),
    [
        ("call back", "call back"),
        ("ग्राहक", "ग्राहक"),
        ("Müller", "MÜLLER"),
        ("São Paulo", "são paulo"),
        ("50% off", "50% off"),
        ("vip?", "vip?"),
        ("#1", "#1"),
    ],
)
def test_url_encoded_tags_with_spaces_and_non_ascii_characters_can_be_deleted(admin_api, tag, sent):
    lead = make_lead(name="Del", phone="+919800002103", tags=["keep", tag])
    assert ok(admin_api.delete(tag_url(lead, sent)))["tags"] == ["keep"]
    assert stored_tags(lead) == ["keep"]


def test_a_tag_added_through_the_api_with_a_space_can_be_deleted(admin_api, lead):
    ok(add(admin_api, lead, ["call back", "ग्राहक"]))
    ok(admin_api.delete(f"{tags_url(lead)}/call%20back"))
    assert ok(admin_api.delete(tag_url(lead, "ग्राहक")))["tags"] == ["hot"]


def test_deleting_a_tag_the_lead_does_not_have_is_404_on_tag(admin_api, lead):
    for missing in ["vip", "ho", "hot lead"]:
        error = error_of(admin_api.delete(tag_url(lead, missing)), 404)
        assert (error["code"], error["field"]) == ("not_found", "tag")
    assert stored_tags(lead) == ["hot"]


def test_deleting_a_tag_needs_the_delete_permission(client_for, admin_user, lead):
    api = client_for(admin_user, permissions="read,write")
    assert error_of(api.delete(tag_url(lead, "hot")), 403)["code"] == "forbidden"
    assert stored_tags(lead) == ["hot"]
    deleter = client_for(admin_user, permissions="read,delete")
    assert ok(deleter.delete(tag_url(lead, "hot")))["tags"] == []


def test_deleting_a_tag_of_an_unknown_or_invisible_lead_is_404(admin_api, rep_api, other_rep):
    theirs = make_lead(name="Theirs", phone="+919800002104", tags=["x"], assigned_to=other_rep)
    for api, target in [(admin_api, uuid.uuid4()), (admin_api, "nope"), (rep_api, theirs.pk)]:
        assert error_of(api.delete(tag_url(target, "x")), 404)["code"] == "not_found"
    assert stored_tags(theirs) == ["x"]


def test_a_rep_can_untag_their_own_lead(rep_api, rep):
    mine = make_lead(name="Mine", phone="+919800002105", tags=["a", "b"], assigned_to=rep)
    assert ok(rep_api.delete(tag_url(mine, "A")))["tags"] == ["b"]
