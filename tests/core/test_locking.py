"""Writes that wait for another write of the same row, on PostgreSQL: when the lock comes, the
row is read as the other write left it. The row's own columns always were; the rows joined to
it were not (a lead moved to another stage vanished from the locking read: a 404 for a lead
that exists), nor was a task's `done_by` that the other write had just set (a 500). Two
call-backs of one lead reopened at once end in one reopened and a 409, not a 500."""

import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from core.errors import Conflict, NotFound
from events.services import Actor
from leads.bulk import leads_bulk_update
from leads.models import Lead
from leads.services import lead_update
from tasks.models import Task, TaskKind
from tasks.services import task_update
from tests.factories import make_lead
from tests.threads import in_thread

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL only"),
]


@pytest.fixture
def admin(admin_user) -> Actor:
    return Actor.system(user=admin_user)


def while_held(first, second) -> dict:
    """Run `first` in a transaction kept open until `second`, started meanwhile in another
    connection, is seen waiting; then let `first` commit. Returns `second`'s outcome."""
    done, release = threading.Event(), threading.Event()

    def hold():
        with transaction.atomic():
            first()
            done.set()
            assert release.wait(10)

    holder, held = in_thread(hold)
    assert done.wait(10), held
    waiter, outcome = in_thread(second)
    time.sleep(0.5)
    assert waiter.is_alive(), outcome  # waiting for the lock
    release.set()
    holder.join(10)
    waiter.join(10)
    assert not waiter.is_alive()
    assert set(held) <= {"value"}, held
    return outcome


def test_a_write_that_waited_for_a_stage_move_finds_the_lead(admin):
    lead = make_lead(status="New")
    outcome = while_held(
        lambda: lead_update(actor=admin, lead=lead, fields={"status": "Contacted"}),
        lambda: lead_update(actor=admin, lead=lead, fields={"status": "Qualified"}),
    )
    assert set(outcome) == {"value"}, outcome
    lead.refresh_from_db()
    assert (lead.status, lead.stage.status) == ("Qualified", "Qualified")
    assert outcome["value"].changes["status"] == ["Contacted", "Qualified"]


def test_a_bulk_edit_that_waited_for_a_stage_move_skips_no_lead(admin):
    moving, still = make_lead(status="New"), make_lead(status="New")
    outcome = while_held(
        lambda: lead_update(actor=admin, lead=moving, fields={"status": "Contacted"}),
        lambda: leads_bulk_update(
            actor=admin, lead_ids=[moving.pk, still.pk], fields={"status": "Proposal"}
        ),
    )
    assert set(outcome) == {"value"}, outcome
    assert (outcome["value"].done, outcome["value"].skipped) == (2, {})
    assert set(Lead.objects.values_list("status", flat=True)) == {"Proposal"}


def test_a_task_completed_twice_at_once_is_done_by_the_first(admin, rep):
    lead = make_lead(assigned_to=rep)
    task = Task.objects.create(
        lead=lead, assigned_to=rep, created_by=rep, title="Call", due_at=timezone.now()
    )
    outcome = while_held(
        lambda: task_update(actor=admin, task=task, fields={"done": True}),
        lambda: task_update(actor=Actor.system(user=rep), task=task, fields={"done": True}),
    )
    assert set(outcome) == {"value"}, outcome
    assert outcome["value"].changes == {}  # already done: nothing to change
    task.refresh_from_db()
    assert task.done_by == admin.user


def test_two_call_backs_of_a_lead_reopened_at_once_are_one_reopened_and_a_409(admin, rep):
    lead = make_lead(assigned_to=rep)
    first, second = (
        Task.objects.create(
            lead=lead,
            assigned_to=rep,
            created_by=rep,
            kind=TaskKind.CALL_BACK,
            title="Call back",
            due_at=timezone.now(),
            done_at=timezone.now(),
            done_by=rep,
        )
        for _ in range(2)
    )
    outcome = while_held(
        lambda: task_update(actor=admin, task=first, fields={"done": False}),
        lambda: task_update(actor=admin, task=second, fields={"done": False}),
    )
    assert isinstance(outcome.get("error"), Conflict), outcome
    assert outcome["error"].field == "done"
    assert list(Task.objects.filter(done_at__isnull=True)) == [first]


def test_a_rep_who_waited_while_the_lead_went_to_another_rep_cannot_edit_its_task(
    admin, rep, other_rep
):
    """The task's visibility goes through its lead: judged on the lead as the other write left
    it (the lead and its open task now the other rep's), not as it was before the wait."""
    lead = make_lead(assigned_to=rep)
    task = Task.objects.create(
        lead=lead, assigned_to=rep, created_by=rep, title="Call", due_at=timezone.now()
    )
    outcome = while_held(
        lambda: lead_update(actor=admin, lead=lead, fields={"assigned_to": other_rep}),
        lambda: task_update(actor=Actor.system(user=rep), task=task, fields={"title": "Mine"}),
    )
    assert isinstance(outcome.get("error"), NotFound), outcome
    task.refresh_from_db()
    assert (task.title, task.assigned_to) == ("Call", other_rep)
