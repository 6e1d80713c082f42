"""/api/v1/tasks (issue 14): follow-ups on leads, assigned to a user, due at a time, open or
done; row-level security as for leads (a rep sees tasks on leads they can see and tasks
assigned to them); each change one event."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events.models import Event
from tasks.models import Task
from tests.factories import make_lead, make_user

pytestmark = pytest.mark.django_db

TASKS = "/api/v1/tasks"
DUE = "2026-12-04T10:00:00+05:30"
TASK_FIELDS = {
    "id", "lead_id", "kind", "title", "due_at", "notes", "assigned_to", "done", "done_at",
    "done_by", "created_at", "updated_at",
}  # fmt: skip


def error_of(response, status=400):
    assert response.status_code == status, response.content
    return response.json()["error"]


def data_of(response, status=200) -> dict:
    assert response.status_code == status, response.content
    assert set(response.json()) == {"data"}
    return response.json()["data"]


@pytest.fixture
def lead(rep):
    return make_lead(name="Asha", assigned_to=rep)


def add(api, lead, **fields):
    body = {"lead_id": str(lead.pk), "title": "Send the quotation", "due_at": DUE, **fields}
    return api.post(TASKS, body, format="json")


def test_a_task_is_created_for_the_leads_assignee_and_reads_back_the_same(rep_api, lead, rep):
    created = data_of(add(rep_api, lead, notes="Annual plan"), 201)
    assert set(created) == TASK_FIELDS
    assert created["lead_id"] == str(lead.pk)
    assert created["kind"] == "follow_up"
    assert created["assigned_to"] == rep.email
    assert created["due_at"] == "2026-12-04T04:30:00Z"
    assert created["notes"] == "Annual plan"
    assert (created["done"], created["done_at"], created["done_by"]) == (False, None, None)
    assert data_of(rep_api.get(f"{TASKS}/{created['id']}")) == created


def test_an_unassigned_leads_task_goes_to_its_creator(admin_api, admin_user):
    lead = make_lead(name="Nobody's")
    assert data_of(add(admin_api, lead), 201)["assigned_to"] == admin_user.email


def test_an_admin_assigns_a_task_to_anyone_a_rep_only_to_themselves(
    admin_api, rep_api, lead, other_rep
):
    assert data_of(add(admin_api, lead, assigned_to=other_rep.email), 201)["assigned_to"] == (
        other_rep.email
    )
    error = error_of(add(rep_api, lead, assigned_to=other_rep.email), 403)
    assert error["field"] == "assigned_to"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": 5}, "title"),
        ({"due_at": "tomorrow"}, "due_at"),
        ({"due_at": "2026-12-04"}, "due_at"),  # a date, not a time (it read as 00:00 UTC)
        ({"due_at": None}, "due_at"),
        ({"assigned_to": "nobody@example.com"}, "assigned_to"),
        ({"lead_id": "not-a-uuid"}, "lead_id"),
    ],
)
def test_bad_fields_are_400_naming_the_field(rep_api, lead, fields, field):
    assert error_of(add(rep_api, lead, **fields))["field"] == field


def test_a_title_of_200_characters_is_accepted(rep_api, lead):
    assert data_of(add(rep_api, lead, title="x" * 200), 201)["title"] == "x" * 200


def test_a_task_on_an_invisible_lead_is_404(rep_api, other_rep):
    theirs = make_lead(assigned_to=other_rep)
    assert error_of(add(rep_api, theirs), 404)["field"] == "lead_id"


def test_a_rep_sees_tasks_on_their_leads_and_tasks_assigned_to_them_only(
    admin_api, rep_api, rep, other_rep, lead, client_for
):
    theirs = make_lead(assigned_to=other_rep)
    on_my_lead = data_of(add(admin_api, lead, assigned_to=other_rep.email), 201)
    mine_elsewhere = data_of(add(admin_api, theirs, assigned_to=rep.email), 201)
    hidden = data_of(add(admin_api, theirs, assigned_to=other_rep.email), 201)

    listed = {task["id"] for task in rep_api.get(TASKS).json()["data"]}
    assert listed == {on_my_lead["id"], mine_elsewhere["id"]}
    assert error_of(rep_api.get(f"{TASKS}/{hidden['id']}"), 404)
    assert error_of(rep_api.patch(f"{TASKS}/{hidden['id']}", {"done": True}, format="json"), 404)
    assert error_of(rep_api.delete(f"{TASKS}/{hidden['id']}"), 404)
    other_api = client_for(other_rep)  # (their lead's tasks, and the one on my lead)
    assert {t["id"] for t in other_api.get(TASKS).json()["data"]} == {
        on_my_lead["id"],
        mine_elsewhere["id"],
        hidden["id"],
    }


def test_the_list_is_sorted_by_due_time_with_the_pagination_envelope(admin_api, lead):
    for due in ("2026-12-05T10:00:00Z", "2026-12-03T10:00:00Z", "2026-12-04T10:00:00Z"):
        add(admin_api, lead, due_at=due)
    body = admin_api.get(TASKS, {"limit": 2}).json()
    assert [task["due_at"] for task in body["data"]] == [
        "2026-12-03T10:00:00Z",
        "2026-12-04T10:00:00Z",
    ]
    assert body["pagination"]["total"] == 3
    rest = admin_api.get(TASKS, {"cursor": body["pagination"]["next_cursor"]}).json()
    assert [task["due_at"] for task in rest["data"]] == ["2026-12-05T10:00:00Z"]


def test_filters_status_lead_assignee_and_ist_days(admin_api, lead, rep, other_rep):
    now = timezone.now()
    overdue = data_of(add(admin_api, lead, due_at=(now - dt.timedelta(hours=1)).isoformat()), 201)
    later = data_of(add(admin_api, lead, due_at=(now + dt.timedelta(days=3)).isoformat()), 201)
    done = data_of(add(admin_api, lead, due_at=(now - dt.timedelta(days=2)).isoformat()), 201)
    admin_api.patch(f"{TASKS}/{done['id']}", {"done": True}, format="json")
    other_lead = make_lead(assigned_to=other_rep)
    elsewhere = data_of(add(admin_api, other_lead, due_at="2026-12-04T20:00:00Z"), 201)

    def ids(**params):
        response = admin_api.get(TASKS, params)
        assert response.status_code == 200, response.content
        return {task["id"] for task in response.json()["data"]}

    assert ids(status="open") == {overdue["id"], later["id"], elsewhere["id"]}
    assert ids(status="overdue") == {overdue["id"]} | (
        {elsewhere["id"]} if dt.datetime(2026, 12, 4, 20, tzinfo=dt.UTC) < now else set()
    )
    assert ids(status="done") == {done["id"]}
    assert ids(lead_id=str(other_lead.pk)) == {elsewhere["id"]}
    assert ids(assigned_to=other_rep.email.upper()) == {elsewhere["id"]}
    # 2026-12-04T20:00Z is 2026-12-05 01:30 IST: an IST day, not a UTC one.
    assert ids(from_date="2026-12-05", to_date="2026-12-05") == {elsewhere["id"]}
    assert ids(to_date="2026-12-04") & {elsewhere["id"]} == set()
    assert ids() == {overdue["id"], later["id"], done["id"], elsewhere["id"]}  # no window
    assert ids(status="all", lead_id="all", assigned_to="all") == ids()
    assert error_of(admin_api.get(TASKS, {"status": "late"}))["field"] == "status"
    assert error_of(admin_api.get(TASKS, {"from_date": "2026-12-06", "to_date": "2026-12-05"}))


def test_patch_changes_what_is_sent_and_done_records_who_and_when(rep_api, rep, lead):
    task = data_of(add(rep_api, lead), 201)
    url = f"{TASKS}/{task['id']}"
    changed = data_of(rep_api.patch(url, {"title": "Call about the quote"}, format="json"))
    assert changed["title"] == "Call about the quote"
    assert changed["due_at"] == task["due_at"]
    done = data_of(rep_api.patch(url, {"done": True}, format="json"))
    assert done["done"] is True
    assert done["done_by"] == rep.email
    assert done["done_at"] is not None
    assert data_of(rep_api.get(url)) == done
    reopened = data_of(rep_api.patch(url, {"done": False}, format="json"))
    assert (reopened["done"], reopened["done_at"], reopened["done_by"]) == (False, None, None)


@pytest.mark.parametrize(
    "body",
    [{}, {"kind": "call_back"}, {"lead_id": "x"}, {"done": "yes"}, {"done": 1}, {"title": ""}],
)
def test_bad_patches_are_400(rep_api, lead, body):
    task = data_of(add(rep_api, lead), 201)
    assert error_of(rep_api.patch(f"{TASKS}/{task['id']}", body, format="json"))


def test_a_rep_cannot_reassign_a_task_to_someone_else(rep_api, lead, other_rep):
    task = data_of(add(rep_api, lead), 201)
    response = rep_api.patch(
        f"{TASKS}/{task['id']}", {"assigned_to": other_rep.email}, format="json"
    )
    assert error_of(response, 403)["field"] == "assigned_to"


def test_delete_answers_like_leads_and_needs_the_delete_toggle(rep, lead, client_for):
    writer = client_for(rep, permissions="read,write")
    task = data_of(add(writer, lead), 201)
    assert writer.delete(f"{TASKS}/{task['id']}").status_code == 403
    deleter = client_for(rep, permissions="read,delete")
    assert data_of(deleter.delete(f"{TASKS}/{task['id']}")) == {"id": task["id"], "deleted": True}
    assert not Task.objects.filter(pk=task["id"]).exists()
    assert error_of(deleter.get(f"{TASKS}/{task['id']}"), 404)


def test_a_read_only_key_cannot_add_tasks(rep, lead, client_for):
    reader = client_for(rep, permissions="read")
    assert add(reader, lead).status_code == 403


def test_each_change_is_one_event_with_previous_values(rep_api, lead):
    task = data_of(add(rep_api, lead), 201)
    url = f"{TASKS}/{task['id']}"
    rep_api.patch(url, {"title": "Renamed"}, format="json")
    rep_api.delete(url)
    events = list(Event.objects.filter(subject_id=task["id"]).order_by("occurred_at", "id"))
    assert [event.verb for event in events] == ["task.created", "task.updated", "task.deleted"]
    assert all(event.lead_id == lead.pk for event in events)
    assert events[1].changes["title"] == ["Send the quotation", "Renamed"]
    assert events[2].snapshot["title"] == "Renamed"


def test_the_task_list_reads_in_constant_queries(admin_api, lead):
    def queries_of_a_list() -> int:
        with CaptureQueriesContext(connection) as context:
            assert admin_api.get(TASKS).status_code == 200
        return len(context)

    users = [make_user() for _ in range(3)]
    for user in users:
        add(admin_api, lead, assigned_to=user.email, notes="n")
    few = queries_of_a_list()
    for _ in range(3):
        for user in [*users, make_user()]:
            task = data_of(add(admin_api, lead, assigned_to=user.email), 201)
            admin_api.patch(f"{TASKS}/{task['id']}", {"done": True}, format="json")
    assert queries_of_a_list() == few <= 8
