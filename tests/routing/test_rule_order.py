"""The first rule in order that matches a lead routes it. Inactive rules, and rules whose reps
are all inactive, are passed over; reordering changes which rule wins."""

import pytest

from events.models import Event, Verb
from leads.services import lead_upsert
from routing.models import AssignmentRule
from routing.services import (
    assignment_rule_delete,
    assignment_rule_move,
    assignment_rule_reorder,
    assignment_rule_update,
)
from tests.factories import unique_phone

from .conftest import SYSTEM, a_rule

pytestmark = pytest.mark.django_db


def routed(actor, source="IVR"):
    fields = {"name": "Caller", "phone": unique_phone(), "source": source}
    return lead_upsert(actor=actor, fields=fields).lead.assigned_to


def test_the_first_matching_rule_wins_even_over_a_more_specific_one_below(admin_actor, reps):
    a_rule("Anything", [reps[0]])
    a_rule("IVR", [reps[1]], source="IVR")
    assert routed(admin_actor) == reps[0]


def test_moving_a_rule_up_makes_it_win(admin_actor, reps):
    a_rule("Anything", [reps[0]])
    ivr = a_rule("IVR", [reps[1]], source="IVR")
    assignment_rule_move(actor=SYSTEM, rule=ivr, offset=-1)
    assert list(AssignmentRule.objects.values_list("name", flat=True)) == ["IVR", "Anything"]
    assert routed(admin_actor) == reps[1]
    assert routed(admin_actor, "Website") == reps[0]


def test_a_reorder_records_an_event_for_each_rule_that_changed_place(reps):
    first, second, third = (a_rule(name, [reps[0]]) for name in ("One", "Two", "Three"))
    assignment_rule_reorder(actor=SYSTEM, rule_ids=[third.pk, first.pk, second.pk])
    moves = Event.objects.filter(verb=Verb.ROUTING_RULE_UPDATED)
    assert {event.subject_repr: event.changes for event in moves} == {
        "One": {"position": [1, 2]},
        "Two": {"position": [2, 3]},
        "Three": {"position": [3, 1]},
    }


def test_an_inactive_rule_routes_nothing(admin_actor, reps):
    ivr = a_rule("IVR", [reps[0]], source="IVR")
    a_rule("Anything", [reps[1]])
    assignment_rule_update(actor=SYSTEM, rule=ivr, fields={"active": False})
    assert routed(admin_actor) == reps[1]


def test_a_rule_whose_reps_are_all_inactive_passes_the_lead_to_the_next(admin_actor, reps):
    a_rule("IVR", [reps[0]], source="IVR")
    a_rule("Anything", [reps[1]])
    reps[0].is_active = False
    reps[0].save()
    assert routed(admin_actor) == reps[1]


def test_after_a_rule_is_deleted_the_next_one_routes_and_the_order_closes_up(admin_actor, reps):
    ivr = a_rule("IVR", [reps[0]], source="IVR")
    a_rule("Anything", [reps[1]])
    assignment_rule_delete(actor=SYSTEM, rule=ivr)
    assert list(AssignmentRule.objects.values_list("name", "position")) == [("Anything", 1)]
    assert routed(admin_actor) == reps[1]
