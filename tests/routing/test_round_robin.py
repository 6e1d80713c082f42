"""A rule's reps get its leads in turn: whoever has waited longest gets the next one. A rep
who joins gets the next lead and then waits their turn; reps who stay keep their place when a
rule is edited."""

from collections import Counter

import pytest

from leads.services import lead_upsert, lead_upsert_many
from routing.services import assignment_rule_update
from tests.factories import unique_phone

from .conftest import SYSTEM, a_rule

pytestmark = pytest.mark.django_db


def route(actor, count: int) -> list[str]:
    return [
        lead_upsert(
            actor=actor, fields={"name": "L", "phone": unique_phone()}
        ).lead.assigned_to.email
        for _ in range(count)
    ]


def test_leads_go_to_each_rep_in_turn(admin_actor, reps):
    a_rule("Everyone", reps[:3])
    assert route(admin_actor, 7) == [
        "rep-a@example.com", "rep-b@example.com", "rep-c@example.com",
        "rep-a@example.com", "rep-b@example.com", "rep-c@example.com",
        "rep-a@example.com",
    ]  # fmt: skip


def test_a_rep_who_joins_gets_the_next_lead_then_waits_their_turn(admin_actor, reps):
    rule = a_rule("Everyone", reps[:2])
    assert route(admin_actor, 3) == ["rep-a@example.com", "rep-b@example.com", "rep-a@example.com"]
    assignment_rule_update(actor=SYSTEM, rule=rule, fields={}, reps=reps[:3])
    # b waited longest among the old reps; c is new: c first, then b, a, c…
    assert route(admin_actor, 4) == [
        "rep-c@example.com", "rep-b@example.com", "rep-a@example.com", "rep-c@example.com",
    ]  # fmt: skip


def test_a_bulk_create_shares_its_leads_out_in_turn(admin_actor, reps):
    a_rule("Everyone", reps)
    items = {index: {"name": f"L{index}", "phone": unique_phone()} for index in range(10)}
    results = lead_upsert_many(actor=admin_actor, items=items)
    counts = Counter(result.lead.assigned_to.email for result in results.values())
    assert sorted(counts.values()) == [2, 2, 3, 3]
    # …and the next single lead goes to a rep who had only two.
    nxt = route(admin_actor, 1)[0]
    assert counts[nxt] == 2


def test_each_rule_keeps_its_own_turn(admin_actor, reps):
    a_rule("IVR", reps[:2], source="IVR")
    a_rule("Web", reps[:2], source="Website")
    fields = {"name": "L", "source": "IVR"}
    first = lead_upsert(actor=admin_actor, fields={**fields, "phone": unique_phone()})
    web = lead_upsert(
        actor=admin_actor, fields={**fields, "source": "Website", "phone": unique_phone()}
    )
    second = lead_upsert(actor=admin_actor, fields={**fields, "phone": unique_phone()})
    assert [first.lead.assigned_to, web.lead.assigned_to, second.lead.assigned_to] == [
        reps[0], reps[0], reps[1],
    ]  # fmt: skip
