"""What the Today page shows a rep: the leads routed to them since their last visit (all of them
before the first), newest first; recording a visit starts the count again. A lead deleted or
reassigned since no longer counts, and one routed while the page was being read is counted at
the next visit rather than never."""

import datetime as dt

import pytest
from django.utils import timezone

from leads.models import Lead
from leads.services import lead_delete, lead_update, lead_upsert
from routing.models import TodayVisit
from routing.selectors import SETTLE, routed_since_last_visit
from routing.services import today_visit_record
from tests.factories import unique_phone

from .conftest import a_rule

pytestmark = pytest.mark.django_db


def new_lead(actor, name):
    return lead_upsert(actor=actor, fields={"name": name, "phone": unique_phone()}).lead


def routed(user):
    return routed_since_last_visit(user, leads=Lead.objects.visible_to(user))


def test_before_the_first_visit_every_routed_lead_counts(admin_actor, reps):
    a_rule("Everyone", reps[:2])
    names = [new_lead(admin_actor, f"Lead {n}").name for n in range(5)]
    mine = routed(reps[0])
    assert mine.since is None
    assert mine.count == 3
    assert [lead.name for lead in mine.leads] == [names[4], names[2], names[0]]
    assert routed(reps[1]).count == 2


def test_a_visit_starts_the_count_again(admin_actor, reps):
    a_rule("Everyone", reps[:1])
    new_lead(admin_actor, "Before")
    shown = routed(reps[0])
    today_visit_record(user=reps[0], at=shown.as_of)
    TodayVisit.objects.filter(user=reps[0]).update(seen_at=timezone.now())  # (SETTLE passed)
    assert routed(reps[0]).count == 0
    new_lead(admin_actor, "After")
    after = routed(reps[0])
    assert (after.count, [lead.name for lead in after.leads]) == (1, ["After"])


def test_a_lead_routed_while_the_page_was_read_counts_next_time(admin_actor, reps):
    a_rule("Everyone", reps[:1])
    shown = routed(reps[0])
    assert shown.as_of <= timezone.now() - SETTLE
    new_lead(admin_actor, "Committed just after the read")
    today_visit_record(user=reps[0], at=shown.as_of)
    assert routed(reps[0]).count == 1


def test_a_visit_never_moves_back(reps):
    now = timezone.now()
    today_visit_record(user=reps[0], at=now)
    today_visit_record(user=reps[0], at=now - dt.timedelta(hours=1))  # an older tab
    assert TodayVisit.objects.get(user=reps[0]).seen_at == now


def test_leads_deleted_or_reassigned_since_are_not_counted(admin_actor, reps, other_rep):
    a_rule("Everyone", reps[:1])
    kept, deleted, moved = (new_lead(admin_actor, name) for name in ("Kept", "Deleted", "Moved"))
    lead_delete(actor=admin_actor, lead=deleted)
    lead_update(actor=admin_actor, lead=moved, fields={"assigned_to": other_rep})
    mine = routed(reps[0])
    assert (mine.count, [lead.name for lead in mine.leads]) == (1, [kept.name])


def test_the_list_is_the_newest_and_the_count_is_all(admin_actor, reps):
    a_rule("Everyone", reps[:1])
    for n in range(12):
        new_lead(admin_actor, f"Lead {n:02}")
    mine = routed_since_last_visit(reps[0], leads=Lead.objects.visible_to(reps[0]), newest=10)
    assert mine.count == 12
    assert [lead.name for lead in mine.leads] == [f"Lead {n:02}" for n in range(11, 1, -1)]


def test_leads_assigned_by_hand_are_not_routed_leads(admin_actor, reps):
    a_rule("Everyone", reps[:1])
    lead_upsert(actor=admin_actor, fields={"name": "By hand", "phone": unique_phone(),
                                           "assigned_to": reps[0]})  # fmt: skip
    assert routed(reps[0]).count == 0


def test_reading_it_costs_two_queries(admin_actor, reps, django_assert_num_queries):
    a_rule("Everyone", reps[:1])
    new_lead(admin_actor, "One")
    with django_assert_num_queries(2):
        assert routed(reps[0]).count == 1
