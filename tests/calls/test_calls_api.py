import datetime as dt
import uuid

import pytest
from django.utils import timezone

from calls.models import CallLog
from events.models import Event
from leads.rules import LEAD_NOT_VISIBLE
from tests.factories import make_call, make_lead

pytestmark = pytest.mark.django_db

CALLS = "/api/v1/call-logs"
CALL_FIELDS = {
    "id", "lead_id", "call_type", "duration_seconds", "outcome", "notes", "called_at",
    "created_at", "external_id", "recording_url",
}  # fmt: skip


@pytest.fixture
def lead(admin_user):
    return make_lead(name="Caller", phone="+919800001111")


def log(api, lead, **body):
    return api.post_json(CALLS, {"lead_id": str(lead.pk), "call_type": "Inbound", **body})


def test_log_a_call_with_defaults(admin_api, lead):
    before = timezone.now().replace(microsecond=0)
    response = log(admin_api, lead, duration_seconds=95)
    assert response.status_code == 201
    call = response.json()["data"]
    assert set(call) == CALL_FIELDS
    assert call["lead_id"] == str(lead.pk)
    assert call["outcome"] == "Completed"
    assert call["notes"] is None
    called_at = dt.datetime.fromisoformat(call["called_at"].replace("Z", "+00:00"))
    assert before <= called_at <= timezone.now()
    assert call["created_at"].endswith("Z")
    assert uuid.UUID(call["id"]).version == 4
    assert response["Location"] == f"{CALLS}/{call['id']}"


def test_zero_seconds_defaults_to_missed_unless_an_outcome_is_given(admin_api, lead):
    assert log(admin_api, lead, duration_seconds=0).json()["data"]["outcome"] == "Missed"
    busy = log(admin_api, lead, duration_seconds=0, outcome="Busy")
    assert busy.json()["data"]["outcome"] == "Busy"


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("2026-04-22T10:30:00Z", "2026-04-22T10:30:00Z"),
        ("2026-04-22T16:00:00+05:30", "2026-04-22T10:30:00Z"),
        ("2026-04-22T10:30:00.123456Z", "2026-04-22T10:30:00Z"),
        ("2026-04-22T10:30:00", "2026-04-22T10:30:00Z"),
        ("2026-04-22 10:30Z", "2026-04-22T10:30:00Z"),
        ("20260422T103000Z", "2026-04-22T10:30:00Z"),
    ],
)
def test_called_at_accepts_iso_8601_and_is_returned_in_utc(admin_api, lead, sent, stored):
    response = log(admin_api, lead, duration_seconds=5, called_at=sent)
    assert response.status_code == 201
    assert response.json()["data"]["called_at"] == stored


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"call_type": "Inbound", "duration_seconds": 5}, "lead_id"),
        ({"lead_id": "nope", "call_type": "Inbound", "duration_seconds": 5}, "lead_id"),
        ({"lead_id": "LEAD", "duration_seconds": 5}, "call_type"),
        ({"lead_id": "LEAD", "call_type": "Sideways", "duration_seconds": 5}, "call_type"),
        ({"lead_id": "LEAD", "call_type": "Inbound"}, "duration_seconds"),
        ({"lead_id": "LEAD", "call_type": "Inbound", "duration_seconds": -1}, "duration_seconds"),
        ({"lead_id": "LEAD", "call_type": "Inbound", "duration_seconds": 1.5}, "duration_seconds"),
        ({"lead_id": "LEAD", "call_type": "Inbound", "duration_seconds": "5"}, "duration_seconds"),
        ({"lead_id": "LEAD", "call_type": "Inbound", "duration_seconds": 2**31},
         "duration_seconds"),
        ({"lead_id": "LEAD", "call_type": "Inbound", "duration_seconds": 5, "outcome": "Great"},
         "outcome"),
        ({"lead_id": "LEAD", "call_type": "Inbound", "duration_seconds": 5, "called_at": "today"},
         "called_at"),
        ({"lead_id": "LEAD", "call_type": "Inbound", "duration_seconds": 5, "notes": "x" * 5001},
         "notes"),
        ({"lead_id": "LEAD", "call_type": "Inbound", "duration_seconds": 5,
          "called_at": "2026-04-22"}, "called_at"),  # a date, not a time
        ({"lead_id": "LEAD", "call_type": "Inbound", "duration_seconds": 5,
          "called_at": "0005-01-03T00:00:03Z"}, "called_at"),
        ({"lead_id": "LEAD", "call_type": "Inbound", "duration_seconds": 5,
          "called_at": "2205-01-03T00:00:03Z"}, "called_at"),
    ],
)  # fmt: skip
def test_bad_values_are_400_naming_the_field(admin_api, lead, body, field):
    if body.get("lead_id") == "LEAD":
        body = {**body, "lead_id": str(lead.pk)}
    response = admin_api.post_json(CALLS, body)
    assert response.status_code == 400
    assert response.json()["error"]["field"] == field
    assert not CallLog.objects.exists()


def test_unknown_lead_is_404_on_lead_id(admin_api):
    response = admin_api.post_json(
        CALLS, {"lead_id": str(uuid.uuid4()), "call_type": "Outbound", "duration_seconds": 3}
    )
    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": "not_found",
        "message": LEAD_NOT_VISIBLE,
        "field": "lead_id",
    }


def test_a_call_is_one_event_on_its_lead(admin_api, lead):
    call = log(admin_api, lead, duration_seconds=0).json()["data"]
    event = Event.objects.get(subject_id=call["id"])
    assert (event.verb, event.subject_type, event.lead_id) == (
        "call_log.created",
        "call_log",
        lead.pk,
    )
    assert event.changes["outcome"] == [None, "Missed"]
    assert event.snapshot == call
    assert event.channel == "api"


def test_list_filters_and_ordering(admin_api, lead):
    other = make_lead()
    now = timezone.now()
    make_call(lead, called_at=now - dt.timedelta(hours=1), call_type="Outbound")
    make_call(lead, called_at=now - dt.timedelta(hours=2))
    make_call(other, called_at=now - dt.timedelta(hours=3))
    make_call(lead, called_at=now - dt.timedelta(days=40))
    body = admin_api.get(CALLS).json()
    assert [c["lead_id"] for c in body["data"]] == [str(lead.pk), str(lead.pk), str(other.pk)]
    assert body["pagination"]["total"] == 3
    only_lead = admin_api.get(CALLS, {"lead_id": str(lead.pk)}).json()["data"]
    assert len(only_lead) == 2
    outbound = admin_api.get(CALLS, {"call_type": "Outbound"}).json()["data"]
    assert [c["call_type"] for c in outbound] == ["Outbound"]
    old = admin_api.get(CALLS, {"from_date": "2000-01-01"}).json()["pagination"]["total"]
    assert old == 4


def test_list_date_window_is_on_called_at_in_ist(admin_api, lead):
    make_call(lead, called_at=dt.datetime(2026, 3, 9, 18, 29, 59, tzinfo=dt.UTC))
    make_call(lead, called_at=dt.datetime(2026, 3, 9, 18, 30, 0, tzinfo=dt.UTC))
    body = admin_api.get(CALLS, {"from_date": "2026-03-10", "to_date": "2026-03-10"}).json()
    assert [c["called_at"] for c in body["data"]] == ["2026-03-09T18:30:00Z"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lead_id": "42"}, "lead_id"),
        ({"call_type": "inbound"}, "call_type"),
        ({"from_date": "2026-1-1"}, "from_date"),
        ({"from_date": " 2026-01-01"}, "from_date"),  # exactly YYYY-MM-DD, as limit=" 5" is a 400
        ({"from_date": "2026-03-02", "to_date": "2026-03-01"}, "from_date"),
        ({"limit": "1000"}, "limit"),
    ],
)
def test_bad_list_filters_are_400(admin_api, params, field):
    response = admin_api.get(CALLS, params)
    assert response.status_code == 400
    assert response.json()["error"]["field"] == field


def test_delete_a_call(admin_api, lead):
    call = make_call(lead)
    response = admin_api.delete(f"{CALLS}/{call.pk}")
    assert response.status_code == 200
    assert response.json() == {"data": {"id": str(call.pk), "deleted": True}}
    assert not CallLog.objects.filter(pk=call.pk).exists()
    deleted = Event.objects.get(subject_id=str(call.pk), verb="call_log.deleted")
    assert deleted.lead_id == lead.pk
    assert deleted.snapshot["id"] == str(call.pk)
    assert admin_api.delete(f"{CALLS}/{call.pk}").status_code == 404
    assert admin_api.delete(f"{CALLS}/not-a-uuid").status_code == 404


def test_call_list_query_count_is_constant(admin_api, lead, django_assert_max_num_queries):
    for _ in range(30):
        make_call(lead)
    admin_api.get(CALLS)
    for limit in (1, 30, 500):
        with django_assert_max_num_queries(3):
            assert admin_api.get(CALLS, {"limit": limit}).status_code == 200
