"""tasks.selectors.open_call_back_ids, read in SQL, finds what the ORM finds: a lead's open
call-backs opened by a time, or by a call; not done ones, not follow-ups, not other leads'."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from tasks.models import Task
from tasks.rules import TaskKind
from tasks.selectors import open_call_back_ids
from tests.factories import make_lead

pytestmark = pytest.mark.django_db


def task(lead, user, kind, created_at, *, done=False, call_id=None):
    return Task.objects.create(
        lead=lead, assigned_to=user, created_by=user, kind=kind, title="T",
        due_at=created_at, created_at=created_at, updated_at=created_at, call_id=call_id,
        done_at=created_at if done else None, done_by=user if done else None,
    )  # fmt: skip


def orm(lead, **condition):
    found = Task.objects.open().filter(lead=lead, kind=TaskKind.CALL_BACK, **condition)
    return sorted(found.values_list("pk", flat=True))


def test_the_open_call_back_opened_by_a_time_or_by_its_call(admin_user):
    now = timezone.now().replace(microsecond=123456)
    lead, other = make_lead(name="A"), make_lead(name="B")
    call = uuid.uuid4()
    open_one = task(lead, admin_user, TaskKind.CALL_BACK, now, call_id=call)
    task(lead, admin_user, TaskKind.CALL_BACK, now - dt.timedelta(hours=1), done=True)
    task(lead, admin_user, TaskKind.FOLLOW_UP, now - dt.timedelta(hours=1))
    task(other, admin_user, TaskKind.CALL_BACK, now - dt.timedelta(hours=1))

    assert (
        open_call_back_ids(lead.pk, opened_by=now)
        == [open_one.pk]
        == orm(lead, created_at__lte=now)
    )
    earlier = now - dt.timedelta(microseconds=1)
    assert (
        open_call_back_ids(lead.pk, opened_by=earlier) == [] == orm(lead, created_at__lte=earlier)
    )
    assert open_call_back_ids(lead.pk, call_id=call) == [open_one.pk]
    assert open_call_back_ids(lead.pk, call_id=uuid.uuid4()) == []
    assert open_call_back_ids(other.pk, opened_by=now) == orm(other, created_at__lte=now)
    assert len(open_call_back_ids(other.pk, opened_by=now)) == 1


def test_one_condition_is_needed():
    with pytest.raises(ValueError, match="opened_by or call_id"):
        open_call_back_ids(uuid.uuid4())
