"""Only a lead that arrives without an assignee is routed: one created with an assignee keeps
them, and a sales rep's key (or page) makes the rep its assignee, as it always did."""

import pytest

from events.models import Event, Verb
from leads.models import Lead
from routing.models import RoutedLead, RuleRep
from tests.factories import unique_phone

from .conftest import a_rule

pytestmark = pytest.mark.django_db


def test_a_lead_created_with_an_assignee_is_not_routed(admin_api, reps, other_rep):
    a_rule("Everyone", reps)
    body = {"name": "Chosen", "phone": unique_phone(), "assigned_to": other_rep.email}
    response = admin_api.post_json("/api/v1/leads", body)
    assert response.status_code == 201, response.content
    assert Lead.objects.get().assigned_to == other_rep
    event = Event.objects.get(verb=Verb.LEAD_CREATED)
    assert "assigned_by_rule" not in event.changes
    assert not RoutedLead.objects.exists()
    assert set(RuleRep.objects.values_list("last_turn", flat=True)) == {0}  # nobody's turn taken


def test_a_rep_s_own_key_keeps_the_lead_theirs(rep_api, rep, reps):
    a_rule("Everyone", reps)
    response = rep_api.post_json("/api/v1/leads", {"name": "Mine", "phone": unique_phone()})
    assert response.status_code == 201
    assert response.json()["data"]["assigned_to"] == rep.email
    assert not RoutedLead.objects.exists()


def test_a_bulk_item_with_an_assignee_is_not_routed_and_the_others_are(admin_api, reps, other_rep):
    a_rule("Everyone", reps[:1])
    leads = [
        {"name": "Chosen", "phone": unique_phone(), "assigned_to": other_rep.email},
        {"name": "Routed", "phone": unique_phone()},
    ]
    assert admin_api.post_json("/api/v1/leads/bulk", {"leads": leads}).status_code == 200
    assert {lead.name: lead.assigned_to for lead in Lead.objects.all()} == {
        "Chosen": other_rep,
        "Routed": reps[0],
    }
