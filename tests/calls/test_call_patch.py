"""PATCH /api/v1/call-logs/{id} (issue 10, point 6): a dialer or a rep corrects a logged call.

Only `outcome`, `duration_seconds`, `notes`, `called_at` and `recording_url` may be sent,
validated as on create; any other field is a 400 naming it, and so is an empty body. The answer
is 200 {"data": call}."""

import datetime as dt

import pytest

from calls.models import CallLog
from events.models import Event
from tests.factories import make_call, make_lead

pytestmark = pytest.mark.django_db

CALLS = "/api/v1/call-logs"
CALLED_AT = dt.datetime(2026, 4, 22, 10, 30, tzinfo=dt.UTC)


def url(call) -> str:
    return f"{CALLS}/{getattr(call, 'pk', call)}"


def patch(api, call, body):
    return api.patch(url(call), body, format="json")


def error_of(response, status=400):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    return response.json()["error"]


def ok(response) -> dict:
    assert response.status_code == 200, response.content
    assert set(response.json()) == {"data"}
    return response.json()["data"]


def snapshot(call) -> dict:
    call = CallLog.objects.get(pk=call.pk)
    return {f.attname: getattr(call, f.attname) for f in CallLog._meta.concrete_fields}


@pytest.fixture
def lead(rep):
    return make_lead(name="Caller", phone="+919800004001", assigned_to=rep)


@pytest.fixture
def call(lead):
    return make_call(
        lead, call_type="Outbound", duration_seconds=0, outcome="Missed", notes="ringing",
        called_at=CALLED_AT, external_id="dialer-1",
    )  # fmt: skip


def test_patch_sets_every_editable_field_and_answers_the_call(admin_api, call, lead):
    body = {
        "outcome": "Completed", "duration_seconds": 184, "notes": "Interested",
        "called_at": "2026-04-22T16:05:00+05:30",
        "recording_url": "https://recordings.example.com/calls/1.mp3",
    }  # fmt: skip
    data = ok(patch(admin_api, call, body))
    assert data == admin_api.get(url(call)).json()["data"]
    assert {k: data[k] for k in body} == {**body, "called_at": "2026-04-22T10:35:00Z"}
    assert (data["id"], data["lead_id"], data["call_type"]) == (
        str(call.pk),
        str(lead.pk),
        "Outbound",
    )
    assert data["external_id"] == "dialer-1"


def test_patch_changes_only_the_sent_fields(admin_api, call):
    before = admin_api.get(url(call)).json()["data"]
    data = ok(patch(admin_api, call, {"notes": "Call back Monday"}))
    assert data == {**before, "notes": "Call back Monday"}
    stored = CallLog.objects.get(pk=call.pk)
    assert (stored.duration_seconds, stored.outcome, stored.notes) == (
        0,
        "Missed",
        "Call back Monday",
    )


def test_patch_of_the_duration_alone_keeps_the_stored_outcome(admin_api, call):
    # The outcome a rep or dialer set stays unless a new one is sent: "Missed" with 0 seconds
    # is also the create default, but on a PATCH nothing is defaulted.
    before = admin_api.get(url(call)).json()["data"]
    data = ok(patch(admin_api, call, {"duration_seconds": 12}))
    assert data == {**before, "duration_seconds": 12}
    assert CallLog.objects.get(pk=call.pk).outcome == "Missed"


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_recording_url_takes_http_and_https(admin_api, call, scheme):
    link = f"{scheme}://recordings.example.com/a.mp3?sig=abc"
    assert ok(patch(admin_api, call, {"recording_url": link}))["recording_url"] == link


def test_recording_url_may_be_2000_characters(admin_api, call):
    link = "https://recordings.example.com/" + "a" * (2000 - len("https://recordings.example.com/"))
    assert len(link) == 2000
    assert ok(patch(admin_api, call, {"recording_url": link}))["recording_url"] == link


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"outcome": "Great"}, "outcome"),
        ({"outcome": "completed"}, "outcome"),
        ({"duration_seconds": -1}, "duration_seconds"),
        ({"duration_seconds": 1.5}, "duration_seconds"),
        ({"duration_seconds": "5"}, "duration_seconds"),
        ({"duration_seconds": 2**31}, "duration_seconds"),
        ({"duration_seconds": None}, "duration_seconds"),
        ({"called_at": "today"}, "called_at"),
        ({"called_at": "0005-01-03T00:00:03Z"}, "called_at"),
        ({"called_at": "2205-01-03T00:00:03Z"}, "called_at"),
        ({"notes": 42}, "notes"),
        ({"notes": "a\x00b"}, "notes"),
        ({"notes": "x" * 5001}, "notes"),  # as the pages' call forms refuse
        ({"recording_url": "ftp://files.example.com/a.mp3"}, "recording_url"),
        ({"recording_url": "javascript:alert(1)"}, "recording_url"),
        ({"recording_url": "file:///etc/passwd"}, "recording_url"),
        ({"recording_url": "data:audio/mp3;base64,AAAA"}, "recording_url"),
        ({"recording_url": "recordings.example.com/a.mp3"}, "recording_url"),
        ({"recording_url": "https://"}, "recording_url"),
        ({"recording_url": "https://x.example.com/" + "a" * 1980}, "recording_url"),
        ({"recording_url": 42}, "recording_url"),
        ({"notes": "fine", "outcome": "Great"}, "outcome"),
    ],
)
def test_bad_values_are_400_naming_the_field_and_change_nothing(admin_api, call, body, field):
    before = snapshot(call)
    error = error_of(patch(admin_api, call, body))
    assert (error["code"], error["field"]) == ("invalid_request", field)
    assert error["message"]
    assert snapshot(call) == before


@pytest.mark.parametrize(
    "field",
    ["lead_id", "call_type", "external_id", "phone", "id", "created_at", "colour"],
)
def test_any_other_field_is_400_naming_it_and_changes_nothing(admin_api, call, field):
    values = {"lead_id": str(make_lead().pk), "call_type": "Inbound", "phone": "+919800004999"}
    before = snapshot(call)
    body = {"notes": "changed", field: values.get(field, "x")}
    error = error_of(patch(admin_api, call, body))
    assert (error["code"], error["field"]) == ("invalid_request", field)
    assert snapshot(call) == before


@pytest.mark.parametrize("body", [{}, None])
def test_an_empty_body_is_400(admin_api, call, body):
    before = snapshot(call)
    assert error_of(patch(admin_api, call, body))["code"] == "invalid_request"
    assert snapshot(call) == before


@pytest.mark.parametrize("call_id", ["7c1d3f60-2a4b-4e8f-9b1a-0d5e6f7a8b9c", "not-a-uuid"])
def test_an_unknown_call_is_404(admin_api, call_id):
    error = error_of(patch(admin_api, call_id, {"notes": "x"}), 404)
    assert error["code"] == "not_found"


def test_a_rep_can_patch_calls_on_their_lead_but_not_on_anyone_elses(rep_api, call, other_rep):
    assert ok(patch(rep_api, call, {"outcome": "Busy"}))["outcome"] == "Busy"
    theirs = make_call(make_lead(name="Theirs", assigned_to=other_rep), notes="theirs")
    nobodys = make_call(make_lead(name="Nobody's"), notes="nobody's")
    for hidden in (theirs, nobodys):
        before = snapshot(hidden)
        assert error_of(patch(rep_api, hidden, {"notes": "mine now"}), 404)["code"] == "not_found"
        assert snapshot(hidden) == before


def test_patch_needs_the_write_permission(client_for, admin_user, call):
    before = snapshot(call)
    for permissions in ["read", "read,delete"]:
        api = client_for(admin_user, permissions=permissions)
        assert error_of(patch(api, call, {"notes": "x"}), 403)["code"] == "forbidden"
    assert snapshot(call) == before


def test_patch_records_one_event_with_the_changes_on_the_calls_lead(admin_api, call, lead):
    data = ok(patch(admin_api, call, {"outcome": "Completed", "duration_seconds": 60}))
    event = Event.objects.get(subject_id=str(call.pk))
    assert (event.verb, event.subject_type, event.lead_id) == (
        "call_log.updated",
        "call_log",
        lead.pk,
    )
    assert event.changes == {"outcome": ["Missed", "Completed"], "duration_seconds": [0, 60]}
    assert (event.channel, event.api_key) == ("api", admin_api.api_key)
    assert event.snapshot == data
