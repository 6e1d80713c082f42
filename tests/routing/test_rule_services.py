"""Assignment rules are changed only by admins, through routing.services: a name (unique, ignoring
case), a source (blank: any), at least one rep; one event per change, none for an edit that
changes nothing."""

import pytest

from core.errors import Conflict, Forbidden, InvalidFields, ServiceError
from events.models import Channel, Event, Verb
from events.services import Actor
from routing.services import (
    assignment_rule_create,
    assignment_rule_delete,
    assignment_rule_update,
)

from .conftest import SYSTEM, a_rule

pytestmark = pytest.mark.django_db


def test_a_sales_rep_cannot_change_rules(rep, reps):
    actor = Actor(user=rep, channel=Channel.WEB)
    with pytest.raises(Forbidden):
        assignment_rule_create(actor=actor, fields={"name": "Mine"}, reps=[rep])
    rule = a_rule("Everyone", reps)
    with pytest.raises(Forbidden):
        assignment_rule_update(actor=actor, rule=rule, fields={"name": "Mine"})
    with pytest.raises(Forbidden):
        assignment_rule_delete(actor=actor, rule=rule)


def test_names_are_unique_ignoring_case_and_spaces_are_tidied(reps):
    rule = a_rule("  IVR   callers ", reps[:1], source="  IVR ")
    assert (rule.name, rule.source) == ("IVR callers", "IVR")
    with pytest.raises(Conflict, match="Another rule has this name"):
        a_rule("ivr callers", reps[:1])


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"name": ""}, "name"), ({"name": "x" * 101}, "name"), ({"name": "a\x00b"}, "name"),
     ({"name": "Ok", "source": "s" * 101}, "source"), ({"name": "Ok", "active": "yes"}, "active")],
)  # fmt: skip
def test_bad_fields_are_refused_naming_the_field(reps, fields, field):
    with pytest.raises(InvalidFields) as refused:
        assignment_rule_create(actor=SYSTEM, fields=fields, reps=reps[:1])
    assert field in refused.value.errors


def test_a_rule_needs_a_rep(reps):
    with pytest.raises(ServiceError, match="at least one rep") as refused:
        a_rule("Nobody", [])
    assert refused.value.field == "reps"


def test_each_change_is_one_event_and_an_edit_that_changes_nothing_none(reps):
    rule = a_rule("Everyone", reps[:2], source="IVR")
    created = Event.objects.get(verb=Verb.ROUTING_RULE_CREATED)
    assert created.snapshot == {
        "id": rule.pk, "name": "Everyone", "position": 1, "source": "IVR", "active": True,
        "reps": ["rep-a@example.com", "rep-b@example.com"],
    }  # fmt: skip
    assignment_rule_update(actor=SYSTEM, rule=rule, fields={"name": "Everyone"}, reps=reps[:2])
    assert not Event.objects.filter(verb=Verb.ROUTING_RULE_UPDATED).exists()
    assignment_rule_update(actor=SYSTEM, rule=rule, fields={"source": ""})
    assert Event.objects.get(verb=Verb.ROUTING_RULE_UPDATED).changes == {"source": ["IVR", None]}
    assignment_rule_delete(actor=SYSTEM, rule=rule)
    deleted = Event.objects.get(verb=Verb.ROUTING_RULE_DELETED)
    assert (deleted.subject_type, deleted.subject_id) == ("routing_rule", str(rule.pk))
    assert deleted.snapshot["name"] == "Everyone"
