"""A create that matches an existing lead by phone or email is a merge: the lead is never routed
again, whatever the merge policy, even when it has no assignee."""

import pytest

from events.models import Event, Verb
from leads.models import Lead
from routing.models import RoutedLead
from tests.factories import make_lead

from .conftest import a_rule

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("merge", ["update", "fill_empty", "keep"])
def test_a_merge_into_an_unassigned_lead_does_not_route_it(admin_api, reps, merge):
    lead = make_lead(name="Known", phone="+919876500001", source="IVR")
    a_rule("Everyone", reps)
    body = {"name": "Known again", "phone": "098765 00001", "source": "IVR"}
    response = admin_api.post_json(f"/api/v1/leads?merge={merge}", body)
    assert response.status_code == 200, response.content
    assert response.json()["data"]["assigned_to"] is None
    lead.refresh_from_db()
    assert lead.assigned_to is None
    assert not RoutedLead.objects.exists()
    assert not Event.objects.filter(verb=Verb.LEAD_CREATED).exists()


def test_a_merge_keeps_the_rep_the_lead_was_routed_to(admin_api, reps):
    a_rule("Everyone", reps)
    first = admin_api.post_json("/api/v1/leads", {"name": "New", "phone": "+919876500002"})
    assert first.json()["data"]["assigned_to"] == "rep-a@example.com"
    again = admin_api.post_json("/api/v1/leads", {"name": "Again", "phone": "+919876500002"})
    assert again.status_code == 200
    assert again.json()["data"]["assigned_to"] == "rep-a@example.com"
    assert Lead.objects.get().assigned_to == reps[0]
    assert RoutedLead.objects.count() == 1


def test_a_bulk_item_that_merges_is_not_routed(admin_api, reps):
    make_lead(name="Known", phone="+919876500003")
    a_rule("Everyone", reps)
    leads = [{"name": "Known", "phone": "+919876500003"}, {"name": "New", "phone": "+919876500004"}]
    assert admin_api.post_json("/api/v1/leads/bulk", {"leads": leads}).status_code == 200
    assert {lead.name: lead.assigned_to for lead in Lead.objects.all()} == {
        "Known": None,
        "New": reps[0],
    }
