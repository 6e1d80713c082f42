"""Each main page runs a fixed number of queries, however many rows it shows: no N+1.
Two of the queries on every page are Django's own (the session and the user)."""

import datetime as dt

import pytest
from django.utils import timezone

from events.models import Channel
from events.services import Actor
from leads.services import lead_add_note
from tasks.services import task_create, task_update
from tests.factories import make_call, make_lead, make_user

pytestmark = pytest.mark.django_db

ROWS = 200  # the largest page size the lists offer


@pytest.fixture
def busy_rep(rep):
    """A rep with ROWS leads (tags, values, other assignees' leads around) and ROWS calls."""
    other = make_user()
    leads = [
        make_lead(name=f"Lead {n}", status=["New", "Won"][n % 2], source=f"S{n % 9}",
                  tags=["hot", "vip"], deal_value=1000, assigned_to=rep if n % 4 else other)
        for n in range(ROWS + ROWS // 3 + 4)  # the rep gets three in four: 202
    ]  # fmt: skip
    now = timezone.now()
    for n in range(ROWS):
        make_call(leads[1 + n % 3 * 4 if n % 3 else 1], duration_seconds=n % 2 * 60,
                  outcome="Missed" if n % 2 == 0 else "Completed", called_at=now)  # fmt: skip
    actor = Actor(user=rep, channel=Channel.WEB)
    for n in range(ROWS):  # the rep's tasks, due from an hour ago to an hour after midnight UTC
        due = now + dt.timedelta(minutes=n - 60)
        task_create(actor=actor, lead_id=leads[1].pk, fields={"title": f"T{n}", "due_at": due})
    return leads


# (Three of them for the due tasks: the list, and once it is full, how many and how many
# overdue; three for the leads routed since the last visit: when it was, which, and this visit.)
@pytest.mark.parametrize(("who", "limit"), [("rep", 16), ("admin", 16)])
def test_home(rep_client, admin_client, busy_rep, django_assert_max_num_queries, who, limit):
    client = rep_client if who == "rep" else admin_client
    client.get("/")  # (the first visit ever also records that there was one)
    with django_assert_max_num_queries(limit):
        assert client.get("/").status_code == 200


# (Two of them for the bulk actions' stages and the saved views menu: one each, whatever the
# number of rows.)
@pytest.mark.parametrize(("who", "limit"), [("rep", 7), ("admin", 8)])
def test_leads_list(rep_client, admin_client, busy_rep, django_assert_max_num_queries, who, limit):
    client = rep_client if who == "rep" else admin_client
    with django_assert_max_num_queries(limit):
        response = client.get("/leads/", {"per_page": ROWS, "q": "Lead", "sort": "name"})
    assert response.content.decode().count('class="lead-link"') == ROWS


def test_lead_detail_with_200_calls(rep, rep_client, django_assert_max_num_queries):
    lead = make_lead(name="Busy", assigned_to=rep)
    for n in range(ROWS):
        make_call(lead)
        lead_add_note(actor=Actor(user=rep, channel=Channel.WEB), lead=lead, text="note")
        task = task_create(
            actor=Actor(user=rep, channel=Channel.WEB),
            lead_id=lead.pk,
            fields={"title": "t", "due_at": timezone.now()},
        )
        if n % 2:
            task_update(
                actor=Actor(user=rep, channel=Channel.WEB), task=task, fields={"done": True}
            )
    # Session, user, lead, call count, the stages it may move to, its open and done tasks, and
    # the timeline's calls, notes and events: one query each, however many there are.
    with django_assert_max_num_queries(10):
        response = rep_client.get(f"/leads/{lead.pk}/", {"timeline": "all"})
    # (calls, notes, and each task's events: added, and done for half of them)
    assert response.content.decode().count('data-kind="') == 2 * ROWS + ROWS + ROWS // 2


@pytest.mark.parametrize(("who", "limit"), [("rep", 4), ("admin", 4)])
def test_calls_list(rep_client, admin_client, busy_rep, django_assert_max_num_queries, who, limit):
    client = rep_client if who == "rep" else admin_client
    with django_assert_max_num_queries(limit):
        response = client.get("/calls/", {"per_page": ROWS})
    assert response.content.decode().count('class="lead-link"') == ROWS


def test_calls_list_of_one_lead(rep, rep_client, busy_rep, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        response = rep_client.get("/calls/", {"per_page": ROWS, "lead": busy_rep[1].pk})
    assert response.status_code == 200


def test_export(rep_client, admin_client, busy_rep, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        response = admin_client.get("/leads/export.csv")
        lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == 1 + len(busy_rep)
