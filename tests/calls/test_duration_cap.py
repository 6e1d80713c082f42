"""A call lasts at most a day: duration_seconds 86,400 is taken, 86,401 refused, on
POST /api/v1/call-logs (a lead's call and a dialer's report by phone and external_id), on PATCH,
and on the lead page's "Log a call" form (where 24:00:00 written as minutes is 1440:00)."""

import pytest

from calls.models import CallLog
from calls.rules import MAX_DURATION_SECONDS
from tests.factories import make_call, make_lead
from tests.ui.helpers import field_errors

pytestmark = pytest.mark.django_db

CALLS = "/api/v1/call-logs"
DAY = 86_400


@pytest.fixture
def lead(rep):
    return make_lead(name="Caller", phone="+919800004001", assigned_to=rep)


@pytest.fixture
def rep_client(client, rep):
    client.force_login(rep)
    return client


def refused(response) -> dict:
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert set(error) >= {"code", "message", "field"}
    return error


def test_the_cap_is_one_day():
    assert MAX_DURATION_SECONDS == DAY


def test_post_takes_a_day_and_refuses_a_second_more(admin_api, lead):
    body = {"lead_id": str(lead.pk), "call_type": "Inbound"}
    taken = admin_api.post(CALLS, {**body, "duration_seconds": DAY}, format="json")
    assert taken.status_code == 201, taken.content
    assert taken.json()["data"]["duration_seconds"] == DAY
    error = refused(admin_api.post(CALLS, {**body, "duration_seconds": DAY + 1}, format="json"))
    assert error["field"] == "duration_seconds"
    assert CallLog.objects.count() == 1


def test_a_dialers_report_by_phone_and_external_id_is_capped_too(admin_api, lead):
    body = {"phone": "+919800004001", "call_type": "Outbound", "external_id": "d-1"}
    error = refused(admin_api.post(CALLS, {**body, "duration_seconds": DAY + 1}, format="json"))
    assert error["field"] == "duration_seconds"
    assert admin_api.post(CALLS, {**body, "duration_seconds": 60}, format="json").status_code == 201
    # The same external_id again updates that call: still capped.
    error = refused(admin_api.post(CALLS, {**body, "duration_seconds": DAY + 1}, format="json"))
    assert error["field"] == "duration_seconds"
    assert CallLog.objects.get(external_id="d-1").duration_seconds == 60


def test_patch_takes_a_day_and_refuses_a_second_more(admin_api, lead):
    call = make_call(lead, duration_seconds=60)
    url = f"{CALLS}/{call.pk}"
    error = refused(admin_api.patch(url, {"duration_seconds": DAY + 1}, format="json"))
    assert error["field"] == "duration_seconds"
    call.refresh_from_db()
    assert call.duration_seconds == 60
    taken = admin_api.patch(url, {"duration_seconds": DAY}, format="json")
    assert taken.status_code == 200, taken.content
    call.refresh_from_db()
    assert call.duration_seconds == DAY


@pytest.mark.parametrize("written", ["86400", "1440:00"])
def test_the_log_a_call_form_takes_a_day(rep_client, lead, written):
    response = rep_client.post(
        f"/leads/{lead.pk}/calls/", {"call_type": "Inbound", "duration": written}
    )
    assert response.status_code == 302
    assert CallLog.objects.get().duration_seconds == DAY


@pytest.mark.parametrize("written", ["86401", "1440:01", "99999999"])
def test_the_log_a_call_form_refuses_more_than_a_day(rep_client, lead, written):
    response = rep_client.post(
        f"/leads/{lead.pk}/calls/", {"call_type": "Inbound", "duration": written}
    )
    assert response.status_code == 400
    assert field_errors(response) == {"duration": ["At most 24 hours (86400 seconds)."]}
    assert not CallLog.objects.exists()
