"""The call-back rule (issue 14): an inbound call logged as Missed or No Answer (API or page)
makes a "Call back" task due CALLBACK_TASK_MINUTES after it was logged, for the lead's assignee
(else whoever logged the call), unless the lead has an open call-back; the next outbound call
with outcome Completed on that lead closes it. Only call-back tasks: follow-ups stay open."""

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.utils import timezone

from events.models import Event
from tasks.models import Task
from tests.factories import make_key, make_lead

CALLS = "/api/v1/call-logs"


def log(api, lead, call_type, outcome=None, duration=0, **extra):
    body = {"lead_id": str(lead.pk), "call_type": call_type, "duration_seconds": duration, **extra}
    if outcome:
        body["outcome"] = outcome
    response = api.post(CALLS, body, format="json")
    assert response.status_code in (200, 201), response.content
    return response.json()["data"]


def call_backs(lead):
    return list(Task.objects.filter(lead=lead, kind="call_back").order_by("created_at"))


@pytest.fixture
def lead(db, rep):
    return make_lead(name="Caller", assigned_to=rep)


@pytest.mark.parametrize("outcome", ["Missed", "No Answer"])
def test_a_missed_inbound_call_makes_a_call_back_for_the_assignee(
    admin_api, lead, rep, outcome, settings
):
    settings.CALLBACK_TASK_MINUTES = 20
    before = timezone.now()
    log(admin_api, lead, "Inbound", outcome)
    (task,) = call_backs(lead)
    assert task.title == "Call back"
    assert task.assigned_to == rep
    assert task.done_at is None
    assert (
        before + dt.timedelta(minutes=20)
        <= task.due_at
        <= timezone.now() + dt.timedelta(minutes=20)
    )
    assert Event.objects.filter(verb="task.created", subject_id=str(task.pk)).count() == 1


def test_the_default_delay_is_15_minutes(admin_api, lead):
    log(admin_api, lead, "Inbound", "Missed")
    (task,) = call_backs(lead)
    assert task.due_at - task.created_at == dt.timedelta(minutes=15)


def test_a_zero_second_inbound_call_without_outcome_is_missed_and_makes_one(rep_api, lead):
    assert log(rep_api, lead, "Inbound")["outcome"] == "Missed"
    assert len(call_backs(lead)) == 1


@pytest.mark.parametrize(
    ("call_type", "outcome"),
    [
        ("Inbound", "Completed"),
        ("Inbound", "Busy"),
        ("Outbound", "Missed"),
        ("Outbound", "No Answer"),
    ],
)
def test_other_calls_make_no_call_back(admin_api, lead, call_type, outcome):
    log(admin_api, lead, call_type, outcome)
    assert call_backs(lead) == []


def test_a_second_missed_call_makes_no_second_call_back(admin_api, lead):
    log(admin_api, lead, "Inbound", "Missed")
    log(admin_api, lead, "Inbound", "No Answer")
    assert len(call_backs(lead)) == 1


def test_an_unassigned_leads_call_back_goes_to_who_logged_the_call(admin_api, admin_user):
    lead = make_lead(name="Unassigned")
    log(admin_api, lead, "Inbound", "Missed")
    assert call_backs(lead)[0].assigned_to == admin_user


def test_a_completed_outbound_call_closes_the_call_back_and_not_follow_ups(
    admin_api, admin_user, lead
):
    log(admin_api, lead, "Inbound", "Missed")
    follow_up = admin_api.post(
        "/api/v1/tasks",
        {"lead_id": str(lead.pk), "title": "Quote", "due_at": "2026-12-04T10:00:00Z"},
        format="json",
    ).json()["data"]
    log(admin_api, lead, "Outbound", "Busy", duration=5)
    assert call_backs(lead)[0].done_at is None  # not a completed call
    log(admin_api, lead, "Outbound", "Completed", duration=120)
    (task,) = call_backs(lead)
    assert task.done_at is not None
    assert task.done_by == admin_user
    assert Task.objects.get(pk=follow_up["id"]).done_at is None
    event = Event.objects.get(verb="task.updated", subject_id=str(task.pk))
    assert event.changes["done"] == [False, True]
    # The next missed call opens a new one.
    log(admin_api, lead, "Inbound", "Missed")
    assert [t.done_at is None for t in call_backs(lead)] == [False, True]


def test_a_dialer_reporting_a_call_then_its_end_follows_the_rule(admin_api, lead):
    log(admin_api, lead, "Inbound", "Missed")
    log(admin_api, lead, "Outbound", "No Answer", external_id="dial-1")
    assert call_backs(lead)[0].done_at is None
    log(admin_api, lead, "Outbound", "Completed", duration=90, external_id="dial-1")
    assert call_backs(lead)[0].done_at is not None


def test_a_call_corrected_to_missed_makes_a_call_back(admin_api, lead):
    call = log(admin_api, lead, "Inbound", "Completed", duration=30)
    assert call_backs(lead) == []
    response = admin_api.patch(f"{CALLS}/{call['id']}", {"outcome": "Missed"}, format="json")
    assert response.status_code == 200
    assert len(call_backs(lead)) == 1


def test_simultaneous_missed_calls_make_one_call_back(live_server, transactional_db, admin_user):
    """On PostgreSQL the lead lock and the one-open-call-back constraint settle it; on SQLite
    writes take turns."""
    lead = make_lead(name="Busy line")
    key = make_key(admin_user)[1]
    parallel = 8
    barrier = threading.Barrier(parallel)

    def post(_):
        session = requests.Session()
        barrier.wait()
        return session.post(
            f"{live_server.url}{CALLS}",
            json={"lead_id": str(lead.pk), "call_type": "Inbound", "duration_seconds": 0},
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        )

    with ThreadPoolExecutor(parallel) as pool:
        responses = list(pool.map(post, range(parallel)))
    assert sorted(r.status_code for r in responses) == [201] * parallel, [r.text for r in responses]
    assert len(call_backs(lead)) == 1


def test_reopening_a_call_back_while_another_is_open_is_a_409_not_a_500(admin_api, lead):
    log(admin_api, lead, "Inbound", "Missed")
    (first,) = call_backs(lead)
    admin_api.patch(f"/api/v1/tasks/{first.pk}", {"done": True}, format="json")
    log(admin_api, lead, "Inbound", "Missed")  # a second call-back, open
    response = admin_api.patch(f"/api/v1/tasks/{first.pk}", {"done": False}, format="json")
    assert response.status_code == 409, response.content
    assert response.json()["error"]["field"] == "done"
    first.refresh_from_db()
    assert first.done_at is not None


def test_a_dialers_missed_call_that_was_answered_after_all_closes_its_call_back(admin_api, lead):
    log(admin_api, lead, "Inbound", duration=0, external_id="d-1")  # ringing: Missed so far
    assert call_backs(lead)[0].done_at is None
    log(admin_api, lead, "Inbound", "Completed", duration=120, external_id="d-1")
    assert call_backs(lead)[0].done_at is not None


def test_an_outbound_call_from_before_the_call_back_does_not_close_it(admin_api, lead):
    log(admin_api, lead, "Inbound", "Missed")
    log(admin_api, lead, "Outbound", "Completed", duration=60, called_at="2024-01-05T10:00:00Z")
    assert call_backs(lead)[0].done_at is None


def test_a_lead_that_changes_hands_takes_its_open_tasks_along(admin_api, lead, rep, other_rep):
    log(admin_api, lead, "Inbound", "Missed")
    follow_up = admin_api.post(
        "/api/v1/tasks",
        {"lead_id": str(lead.pk), "title": "Quote", "due_at": "2030-01-06T10:00:00Z"},
        format="json",
    ).json()["data"]
    response = admin_api.patch(
        f"/api/v1/leads/{lead.pk}", {"assigned_to": other_rep.email}, format="json"
    )
    assert response.status_code == 200
    assert {task.assigned_to for task in Task.objects.filter(lead=lead)} == {other_rep}
    event = Event.objects.get(verb="task.updated", subject_id=follow_up["id"])
    assert event.changes["assigned_to"] == [rep.email, other_rep.email]
    # The new assignee's next missed call finds the call-back already theirs.
    log(admin_api, lead, "Inbound", "Missed")
    assert len(call_backs(lead)) == 1


def test_an_inactive_assignees_call_back_goes_to_who_logged_the_call(admin_api, admin_user, rep):
    lead = make_lead(name="Orphan", assigned_to=rep)
    rep.is_active = False
    rep.save()
    log(admin_api, lead, "Inbound", "Missed")
    assert call_backs(lead)[0].assigned_to == admin_user
