"""An inactive user in a rule gets no leads: the others share them. Back to active, they get the
next lead and then wait their turn, never a run of leads to catch up."""

import pytest

from core.errors import ServiceError
from leads.services import lead_upsert
from routing.services import assignment_rule_update
from tests.factories import make_user, unique_phone

from .conftest import SYSTEM, a_rule

pytestmark = pytest.mark.django_db


def route(actor, count: int) -> list[str]:
    return [
        lead_upsert(
            actor=actor, fields={"name": "L", "phone": unique_phone()}
        ).lead.assigned_to.email
        for _ in range(count)
    ]


def test_an_inactive_rep_is_skipped(admin_actor, reps):
    a_rule("Everyone", reps[:3])
    reps[1].is_active = False
    reps[1].save()
    assert route(admin_actor, 4) == [
        "rep-a@example.com", "rep-c@example.com", "rep-a@example.com", "rep-c@example.com",
    ]  # fmt: skip


def test_a_rep_back_from_inactive_gets_one_lead_then_waits_their_turn(admin_actor, reps):
    a_rule("Everyone", reps[:2])
    reps[1].is_active = False
    reps[1].save()
    assert route(admin_actor, 4) == ["rep-a@example.com"] * 4
    reps[1].is_active = True
    reps[1].save()
    assert route(admin_actor, 3) == ["rep-b@example.com", "rep-a@example.com", "rep-b@example.com"]


def test_an_inactive_user_cannot_be_added_to_a_rule_but_stays_in_one_they_were_in(reps):
    gone = make_user("gone@example.com")
    gone.is_active = False
    gone.save()
    with pytest.raises(ServiceError, match=r"gone@example\.com"):
        a_rule("Everyone", [reps[0], gone])
    rule = a_rule("Everyone", [reps[0], reps[1]])
    reps[1].is_active = False
    reps[1].save()
    # An edit that keeps them (the page shows them ticked, marked inactive) is not refused.
    assignment_rule_update(actor=SYSTEM, rule=rule, fields={"name": "All"}, reps=reps[:2])
    assert set(rule.members.values_list("user__email", flat=True)) == {
        "rep-a@example.com", "rep-b@example.com",
    }  # fmt: skip
