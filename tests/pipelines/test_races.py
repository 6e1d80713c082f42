"""On PostgreSQL, a lead moving into a stage and that stage being archived or changing its
status cannot interleave: whichever commits first, the other sees it. (SQLite runs one write
at a time; these need two connections and row locks.)"""

import threading
import time

import pytest
from django.db import connection, transaction

from events.services import Actor
from leads.models import Lead
from leads.services import lead_move
from pipelines.models import Pipeline, Stage
from pipelines.services import (
    pipeline_create,
    pipeline_update,
    stage_archive,
    stage_create,
    stage_update,
)
from tests.factories import make_lead
from tests.threads import in_thread

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL only"),
]
SYSTEM = Actor.system()


@pytest.fixture
def admin(admin_user) -> Actor:
    return Actor.system(user=admin_user)


def extra_stage() -> Stage:
    sales = Pipeline.objects.get(is_default=True)
    return stage_create(
        actor=SYSTEM, pipeline=sales, fields={"name": "Extra", "status": "Contacted"}
    )


def test_archiving_a_stage_waits_for_a_lead_moving_into_it_and_then_refuses(admin):
    stage = extra_stage()
    lead = make_lead()
    moved, release = threading.Event(), threading.Event()

    def move_and_wait():
        with transaction.atomic():
            lead_move(actor=admin, lead=lead, stage_id=stage.pk)
            moved.set()
            assert release.wait(10)

    mover, _ = in_thread(move_and_wait)
    assert moved.wait(10)
    archiver, archived = in_thread(lambda: stage_archive(actor=SYSTEM, stage=stage))
    time.sleep(0.5)
    assert archiver.is_alive()  # waiting for the move to commit
    release.set()
    mover.join(10)
    archiver.join(10)
    assert "holds leads" in archived["error"].message
    stage.refresh_from_db()
    assert stage.archived_at is None
    assert Lead.objects.get(pk=lead.pk).stage_id == stage.pk


def test_a_stage_cannot_change_status_under_a_lead_moving_into_it(admin):
    stage = extra_stage()
    lead = make_lead()
    moved, release = threading.Event(), threading.Event()

    def move_and_wait():
        with transaction.atomic():
            lead_move(actor=admin, lead=lead, stage_id=stage.pk)
            moved.set()
            assert release.wait(10)

    mover, _ = in_thread(move_and_wait)
    assert moved.wait(10)
    changer, changed = in_thread(
        lambda: stage_update(actor=SYSTEM, stage=stage, fields={"status": "Qualified"})
    )
    time.sleep(0.5)
    assert changer.is_alive()
    release.set()
    mover.join(10)
    changer.join(10)
    assert changed["error"].field == "status"
    lead = Lead.objects.select_related("stage").get(pk=lead.pk)
    assert lead.status == lead.stage.status == "Contacted"


def test_a_lead_moving_into_a_stage_being_archived_waits_and_is_refused(admin):
    stage = extra_stage()
    lead = make_lead()
    locked, release = threading.Event(), threading.Event()

    def archive_and_wait():
        with transaction.atomic():
            stage_archive(actor=SYSTEM, stage=stage)
            locked.set()
            assert release.wait(10)

    archiver, _ = in_thread(archive_and_wait)
    assert locked.wait(10)
    mover, moved = in_thread(lambda: lead_move(actor=admin, lead=lead, stage_id=stage.pk))
    time.sleep(0.5)
    assert mover.is_alive()  # waiting for the archive to commit
    release.set()
    archiver.join(10)
    mover.join(10)
    assert moved["error"].field == "stage_id"
    assert Lead.objects.get(pk=lead.pk).stage.name == "New"


def test_two_admins_choosing_a_default_at_once_leave_exactly_one(admin):
    first = pipeline_create(
        actor=SYSTEM, fields={"name": "One"}, stages=[{"name": "A", "status": "New"}]
    )
    second = pipeline_create(
        actor=SYSTEM, fields={"name": "Two"}, stages=[{"name": "A", "status": "New"}]
    )
    barrier = threading.Barrier(2)

    def make_default(pipeline):
        def run():
            barrier.wait(10)
            return pipeline_update(actor=SYSTEM, pipeline=pipeline, fields={"is_default": True})

        return run

    threads = [in_thread(make_default(pipeline)) for pipeline in (first, second)]
    for thread, _ in threads:
        thread.join(20)
    assert [sorted(outcome) for _, outcome in threads] == [["value"], ["value"]]  # no error
    assert Pipeline.objects.filter(is_default=True).count() == 1
