"""Dialer-grade POST /api/v1/call-logs (issue 10, point 7).

- `external_id`: the dialer's own call id (1–100 characters), unique across the CRM. A POST with
  an `external_id` that exists updates that call with the fields sent and answers 200 (201 only
  when created); naming another lead than the call's, or a call the key cannot see, is a 409 on
  `external_id`.
- `phone` instead of `lead_id` (exactly one of them, else 400 on `lead_id`): the call goes to the
  visible lead with that normalized phone; without one a lead is created in the same transaction
  (name = the phone as sent, source "Phone call", assigned as a new lead from the key would be).
  A phone whose lead the key cannot see is a 409 that says nothing about that lead.
- `recording_url`: http or https, at most 2,000 characters; shown on the lead page as a link.
- Call responses carry `external_id` and `recording_url` (null when unset); GET filters by
  `outcome`."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from calls.models import CallLog
from events.models import Event
from leads.models import Lead
from tests.factories import make_call, make_lead

pytestmark = pytest.mark.django_db

CALLS = "/api/v1/call-logs"
LEADS = "/api/v1/leads"


def call_body(**fields) -> dict:
    return {"call_type": "Outbound", "duration_seconds": 0, **fields}


def error_of(response, status=400):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    return response.json()["error"]


def answered(response, status) -> dict:
    assert response.status_code == status, response.content
    return response.json()["data"]


def snapshot(call) -> dict:
    call = CallLog.objects.get(pk=call.pk)
    return {f.attname: getattr(call, f.attname) for f in CallLog._meta.concrete_fields}


@pytest.fixture
def lead():
    return make_lead(name="Asha Verma", phone="+91 98000 05001")


# --- New fields in the answer ----------------------------------------------------------------


def test_a_call_without_the_new_fields_answers_them_as_null(admin_api, lead):
    call = answered(admin_api.post_json(CALLS, call_body(lead_id=str(lead.pk))), 201)
    assert (call["external_id"], call["recording_url"]) == (None, None)
    assert admin_api.get(f"{CALLS}/{call['id']}").json()["data"] == call


def test_external_id_and_recording_url_round_trip(admin_api, lead):
    body = call_body(
        lead_id=str(lead.pk), external_id="exotel-CA1234", duration_seconds=184,
        recording_url="https://recordings.example.com/CA1234.mp3",
    )  # fmt: skip
    call = answered(admin_api.post_json(CALLS, body), 201)
    assert (call["external_id"], call["recording_url"]) == (
        "exotel-CA1234",
        "https://recordings.example.com/CA1234.mp3",
    )
    assert admin_api.get(f"{CALLS}/{call['id']}").json()["data"] == call


# --- external_id -----------------------------------------------------------------------------


def test_call_started_then_ended_with_one_external_id_is_one_call(admin_api, lead):
    started = admin_api.post_json(
        CALLS, call_body(lead_id=str(lead.pk), external_id="dial-42", notes="ringing",
                         called_at="2026-04-22T10:30:00Z"),
    )  # fmt: skip
    first = answered(started, 201)
    ended = admin_api.post_json(
        CALLS, call_body(lead_id=str(lead.pk), external_id="dial-42", duration_seconds=184,
                         outcome="Completed",
                         recording_url="https://recordings.example.com/dial-42.mp3"),
    )  # fmt: skip
    second = answered(ended, 200)
    assert second["id"] == first["id"]
    assert (second["duration_seconds"], second["outcome"]) == (184, "Completed")
    assert second["recording_url"] == "https://recordings.example.com/dial-42.mp3"
    assert second["called_at"] == "2026-04-22T10:30:00Z"  # not sent again: kept
    assert second["notes"] == "ringing"
    assert second == admin_api.get(f"{CALLS}/{first['id']}").json()["data"]
    assert CallLog.objects.count() == 1


def test_repeating_an_identical_call_with_its_external_id_answers_200_and_adds_nothing(
    admin_api, lead
):
    body = call_body(lead_id=str(lead.pk), external_id="dial-43", duration_seconds=10)
    first = answered(admin_api.post_json(CALLS, body), 201)
    again = answered(admin_api.post_json(CALLS, body), 200)
    assert again == first
    assert CallLog.objects.count() == 1


@pytest.mark.parametrize(
    "target",
    [
        {"lead_id": "LEAD"},
        {"phone": "098000-05001"},  # `lead`, by its number
        {"phone": "+91 99000 77777"},  # a number no lead has: would be a new lead
    ],
)
def test_an_external_id_naming_another_lead_than_its_calls_is_409(admin_api, lead, target):
    other = make_lead(name="Other", phone="+919800005999")
    call = make_call(other, external_id="dial-44", notes="the other lead's call")
    before = snapshot(call)
    if target.get("lead_id") == "LEAD":
        target = {"lead_id": str(lead.pk)}
    response = admin_api.post_json(CALLS, call_body(external_id="dial-44", notes="x", **target))
    error = error_of(response, 409)
    assert (error["code"], error["field"]) == ("conflict", "external_id")
    assert snapshot(call) == before
    assert CallLog.objects.count() == 1
    assert Lead.objects.count() == 2


def test_an_existing_external_id_can_be_reached_by_the_leads_phone(admin_api, lead):
    call = make_call(lead, external_id="dial-45", duration_seconds=0, outcome="Missed")
    body = call_body(phone="098000-05001", external_id="dial-45", duration_seconds=30,
                     outcome="Completed")  # fmt: skip
    data = answered(admin_api.post_json(CALLS, body), 200)
    assert (data["id"], data["lead_id"], data["outcome"]) == (
        str(call.pk),
        str(lead.pk),
        "Completed",
    )
    assert Lead.objects.count() == 1


def test_an_existing_external_id_still_needs_exactly_one_of_lead_id_and_phone(admin_api, lead):
    call = make_call(lead, external_id="dial-46")
    before = snapshot(call)
    for extra in [{}, {"lead_id": str(lead.pk), "phone": "+919800005001"}]:
        body = call_body(external_id="dial-46", duration_seconds=99, **extra)
        error = error_of(admin_api.post_json(CALLS, body))
        assert (error["code"], error["field"]) == ("invalid_request", "lead_id")
    assert snapshot(call) == before


def test_a_rep_reusing_an_external_id_of_a_call_they_cannot_see_gets_409(rep_api, rep, other_rep):
    mine = make_lead(name="Mine", phone="+919800005101", assigned_to=rep)
    theirs = make_lead(name="Secret Holder", phone="+919800005102", assigned_to=other_rep)
    hidden = make_call(theirs, external_id="dial-47", notes="private")
    before = snapshot(hidden)
    response = rep_api.post_json(
        CALLS, call_body(lead_id=str(mine.pk), external_id="dial-47", notes="mine")
    )
    error = error_of(response, 409)
    assert (error["code"], error["field"]) == ("conflict", "external_id")
    for secret in [theirs.name, str(theirs.pk), str(hidden.pk), "private"]:
        assert secret not in response.content.decode()
    assert snapshot(hidden) == before
    assert CallLog.objects.count() == 1


def test_a_rep_reusing_a_hidden_external_id_by_an_unknown_phone_creates_no_lead(rep_api, other_rep):
    hidden = make_call(make_lead(name="Theirs", assigned_to=other_rep), external_id="dial-48")
    leads = Lead.objects.count()
    response = rep_api.post_json(CALLS, call_body(phone="+919800005199", external_id="dial-48"))
    error = error_of(response, 409)
    assert error["field"] == "external_id"
    assert Lead.objects.count() == leads  # the lead and the call are one transaction
    assert CallLog.objects.get().pk == hidden.pk


@pytest.mark.parametrize(
    ("external_id", "valid"),
    [
        ("x", True),
        ("a" * 100, True),
        ("", False),
        ("a" * 101, False),
        (42, False),
        ("a\x00", False),
    ],
)
def test_external_id_is_a_string_of_1_to_100_characters(admin_api, lead, external_id, valid):
    response = admin_api.post_json(CALLS, call_body(lead_id=str(lead.pk), external_id=external_id))
    if valid:
        assert answered(response, 201)["external_id"] == external_id
    else:
        error = error_of(response)
        assert (error["code"], error["field"]) == ("invalid_request", "external_id")
        assert not CallLog.objects.exists()


def test_updating_a_call_by_external_id_records_an_update_not_a_second_create(admin_api, lead):
    body = call_body(lead_id=str(lead.pk), external_id="dial-49")
    call = answered(admin_api.post_json(CALLS, body), 201)
    admin_api.post_json(CALLS, {**body, "duration_seconds": 75, "outcome": "Completed"})
    verbs = list(Event.objects.filter(subject_id=call["id"]).values_list("verb", flat=True))
    assert sorted(verbs) == ["call_log.created", "call_log.updated"]
    updated = Event.objects.get(subject_id=call["id"], verb="call_log.updated")
    assert updated.changes == {"duration_seconds": [0, 75], "outcome": ["Missed", "Completed"]}


# --- phone instead of lead_id ----------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    ["+91 98000 05001", "+919800005001", "098000-05001", "9800005001", "0091 98000 05001"],
)
def test_a_call_by_phone_goes_to_the_lead_with_that_number_however_written(
    admin_api, lead, written
):
    call = answered(admin_api.post_json(CALLS, call_body(phone=written)), 201)
    assert call["lead_id"] == str(lead.pk)
    assert Lead.objects.count() == 1
    assert CallLog.objects.get().lead_id == lead.pk


def test_a_call_from_an_unknown_number_creates_its_lead(admin_api):
    response = admin_api.post_json(CALLS, call_body(phone="+91 99000 11122", call_type="Inbound"))
    call = answered(response, 201)
    lead = Lead.objects.get()
    assert call["lead_id"] == str(lead.pk)
    data = admin_api.get(f"{LEADS}/{lead.pk}").json()["data"]
    assert (data["name"], data["phone"], data["source"]) == (
        "+91 99000 11122",
        "+91 99000 11122",
        "Phone call",
    )
    assert data["assigned_to"] is None  # as a new lead from an Admin's key
    assert lead.phone_e164 == "+919900011122"
    assert CallLog.objects.get().lead_id == lead.pk
    assert Event.objects.filter(lead_id=lead.pk, verb="lead.created").count() == 1


def test_a_lead_created_for_a_reps_call_is_assigned_to_the_rep(rep_api, rep):
    call = answered(rep_api.post_json(CALLS, call_body(phone="099000-11133")), 201)
    data = rep_api.get(f"{LEADS}/{call['lead_id']}").json()["data"]
    assert (data["name"], data["source"], data["assigned_to"]) == (
        "099000-11133",
        "Phone call",
        rep.email,
    )


def test_the_next_call_from_that_number_finds_the_created_lead(admin_api):
    first = answered(admin_api.post_json(CALLS, call_body(phone="+91 99000 11144")), 201)
    second = answered(admin_api.post_json(CALLS, call_body(phone="9900011144")), 201)
    assert second["lead_id"] == first["lead_id"]
    assert Lead.objects.count() == 1
    assert CallLog.objects.count() == 2


@pytest.mark.parametrize("owner", ["other_rep", None])
def test_a_call_by_the_phone_of_a_lead_the_key_cannot_see_is_a_409_saying_nothing_about_it(
    rep_api, request, owner
):
    assignee = request.getfixturevalue(owner) if owner else None
    hidden = make_lead(name="Secret Holder", phone="+919800005201", email="secret@example.com",
                       assigned_to=assignee)  # fmt: skip
    response = rep_api.post_json(CALLS, call_body(phone="098000 05201"))
    error = error_of(response, 409)
    assert error["code"] == "conflict"
    text = response.content.decode()
    for secret in [hidden.name, str(hidden.pk), "secret@example.com", "rep2@example.com"]:
        assert secret not in text
    assert Lead.objects.count() == 1
    assert not CallLog.objects.exists()


@pytest.mark.parametrize(
    "extra",
    [{}, {"lead_id": "LEAD", "phone": "+919800005001"}, {"lead_id": None}],
)
def test_exactly_one_of_lead_id_and_phone_else_400_on_lead_id(admin_api, lead, extra):
    if extra.get("lead_id") == "LEAD":
        extra = {**extra, "lead_id": str(lead.pk)}
    error = error_of(admin_api.post_json(CALLS, call_body(**extra)))
    assert (error["code"], error["field"]) == ("invalid_request", "lead_id")
    assert not CallLog.objects.exists()
    assert Lead.objects.count() == 1


@pytest.mark.parametrize("phone", ["12", "call me", "+91 98000 0500x", 9800005001])
def test_an_impossible_phone_is_400_on_phone_and_creates_nothing(admin_api, phone):
    error = error_of(admin_api.post_json(CALLS, call_body(phone=phone)))
    assert (error["code"], error["field"]) == ("invalid_request", "phone")
    assert not Lead.objects.exists()
    assert not CallLog.objects.exists()


def test_a_refused_call_by_an_unknown_phone_creates_no_lead(admin_api):
    body = call_body(phone="+919800005301", outcome="Great")
    assert error_of(admin_api.post_json(CALLS, body))["field"] == "outcome"
    assert not Lead.objects.exists()


def test_a_call_by_phone_needs_the_write_permission(client_for, admin_user):
    api = client_for(admin_user, permissions="read,delete")
    error = error_of(api.post_json(CALLS, call_body(phone="+919800005401")), 403)
    assert error["code"] == "forbidden"
    assert not Lead.objects.exists()


# --- recording_url ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "link",
    [
        "https://recordings.example.com/a.mp3",
        "http://10.0.0.5:8080/rec/a.wav?token=abc",
        "https://recordings.example.com/" + "a" * (2000 - len("https://recordings.example.com/")),
    ],
)
def test_recording_url_takes_http_and_https_up_to_2000_characters(admin_api, lead, link):
    call = answered(admin_api.post_json(CALLS, call_body(lead_id=str(lead.pk),
                                                         recording_url=link)), 201)  # fmt: skip
    assert call["recording_url"] == link


@pytest.mark.parametrize(
    "link",
    [
        "ftp://files.example.com/a.mp3",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "data:audio/mp3;base64,AAAA",
        "mailto:a@example.com",
        "//recordings.example.com/a.mp3",
        "recordings.example.com/a.mp3",
        "",
        "https://recordings.example.com/" + "a" * (2001 - len("https://recordings.example.com/")),
        42,
    ],
)
def test_any_other_recording_url_is_400_on_recording_url(admin_api, lead, link):
    body = call_body(lead_id=str(lead.pk), recording_url=link)
    error = error_of(admin_api.post_json(CALLS, body))
    assert (error["code"], error["field"]) == ("invalid_request", "recording_url")
    assert not CallLog.objects.exists()


def test_the_recording_is_a_link_on_the_lead_page(admin_api, admin_user, lead):
    link = "https://recordings.example.com/CA99.mp3"
    answered(admin_api.post_json(CALLS, call_body(lead_id=str(lead.pk), recording_url=link)), 201)
    browser = Client()
    browser.force_login(admin_user)
    page = browser.get(f"/leads/{lead.pk}/")
    assert page.status_code == 200
    assert f'href="{link}"' in page.content.decode()


# --- outcome filter --------------------------------------------------------------------------


def test_the_call_list_filters_by_outcome(admin_api, lead):
    now = timezone.now()
    for hours, outcome in enumerate(["Busy", "No Answer", "Busy", "Completed", "Missed"], start=1):
        make_call(lead, outcome=outcome, called_at=now - dt.timedelta(hours=hours))
    busy = admin_api.get(CALLS, {"outcome": "Busy"}).json()
    assert [c["outcome"] for c in busy["data"]] == ["Busy", "Busy"]
    assert busy["pagination"]["total"] == 2
    no_answer = admin_api.get(CALLS, {"outcome": "No Answer"}).json()["data"]
    assert [c["outcome"] for c in no_answer] == ["No Answer"]
    assert admin_api.get(CALLS, {"outcome": "Voicemail"}).json()["data"] == []
    both = admin_api.get(CALLS, {"outcome": "Busy", "call_type": "Outbound"}).json()["data"]
    assert both == []  # make_call logs Inbound calls


@pytest.mark.parametrize(
    "query", ["outcome=busy", "outcome=Great", "outcome=", "outcome=Busy&outcome=Missed"]
)
def test_a_bad_outcome_filter_is_400_on_outcome(admin_api, query):
    error = error_of(admin_api.get(f"{CALLS}?{query}"))
    assert (error["code"], error["field"]) == ("invalid_request", "outcome")


def test_the_outcome_filter_keeps_row_level_security(rep_api, rep, other_rep):
    mine = make_lead(name="Mine", assigned_to=rep)
    theirs = make_lead(name="Theirs", assigned_to=other_rep)
    make_call(mine, outcome="Busy")
    make_call(theirs, outcome="Busy")
    data = rep_api.get(CALLS, {"outcome": "Busy"}).json()["data"]
    assert [c["lead_id"] for c in data] == [str(mine.pk)]


def test_a_known_external_id_with_an_impossible_phone_is_a_400_on_phone(admin_api):
    """Found by schemathesis: the second report of a call, by an impossible number, was a 500."""
    lead = admin_api.post_json("/api/v1/leads", {"name": "D", "phone": "+919812399991"})
    body = {"call_type": "Inbound", "duration_seconds": 3, "external_id": "dup-1"}
    first = admin_api.post_json("/api/v1/call-logs", {**body, "lead_id": lead.json()["data"]["id"]})
    assert first.status_code == 201
    response = admin_api.post_json("/api/v1/call-logs", {**body, "phone": "+91 12"})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "phone"


def test_a_report_that_loses_every_race_is_a_409_to_resend(admin_api, lead, monkeypatch):
    """Each attempt finds no call with the external_id, then another writer's call has it when
    the insert runs (here: one the look-up is made not to see): a 409 to resend, not a 500."""
    import calls.services

    make_call(lead, external_id="dial-race")
    monkeypatch.setattr(calls.services, "_locked_with_lead", lambda calls: None)
    response = admin_api.post_json(
        CALLS, call_body(lead_id=str(lead.pk), external_id="dial-race", duration_seconds=5)
    )
    assert response.status_code == 409, response.content
    assert response.json()["error"]["field"] == "external_id"
    assert CallLog.objects.filter(external_id="dial-race").count() == 1
