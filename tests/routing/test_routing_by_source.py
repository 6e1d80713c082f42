"""A new lead without an assignee goes to a rep of the rule whose source matches its own
(ignoring case and surrounding space), through the API, the new-lead page and the services."""

import pytest
from django.test import Client

from leads.models import Lead
from leads.services import lead_upsert
from tests.factories import unique_phone

from .conftest import a_rule

pytestmark = pytest.mark.django_db


def test_an_api_lead_goes_to_the_rep_of_the_rule_for_its_source(admin_api, reps):
    a_rule("Website", [reps[0]], source="Website")
    a_rule("IVR", [reps[1]], source="IVR")
    response = admin_api.post_json("/api/v1/leads", {"name": "Caller", "phone": unique_phone(),
                                                     "source": "IVR"})  # fmt: skip
    assert response.status_code == 201, response.content
    assert response.json()["data"]["assigned_to"] == "rep-b@example.com"
    assert Lead.objects.get().assigned_to == reps[1]


def test_the_source_matches_ignoring_case_and_spaces(admin_actor, reps):
    a_rule("IVR", [reps[2]], source="IVR")
    result = lead_upsert(
        actor=admin_actor, fields={"name": "Caller", "phone": unique_phone(), "source": " ivr "}
    )
    assert result.lead.assigned_to == reps[2]


def test_a_lead_whose_source_no_rule_names_stays_unassigned(admin_api, reps):
    a_rule("IVR", [reps[0]], source="IVR")
    response = admin_api.post_json(
        "/api/v1/leads", {"name": "Walk in", "phone": unique_phone(), "source": "Walk-in"}
    )
    assert response.status_code == 201
    assert response.json()["data"]["assigned_to"] is None


def test_a_lead_that_names_no_source_is_routed_by_its_default_source_api(admin_api, reps):
    a_rule("From the API", [reps[3]], source="API")
    response = admin_api.post_json("/api/v1/leads", {"name": "Plain", "phone": unique_phone()})
    assert response.json()["data"]["source"] == "API"
    assert response.json()["data"]["assigned_to"] == "rep-d@example.com"


def test_an_admin_s_new_lead_page_without_an_assignee_is_routed(admin_user, reps):
    a_rule("Referrals", [reps[0]], source="Referral")
    browser = Client()
    browser.force_login(admin_user)
    page = browser.post(
        "/leads/new/",
        {"name": "Asha Sharma", "phone": "+91 98765 43210", "source": "Referral",
         "status": "New", "priority": "Medium"},
    )  # fmt: skip
    assert page.status_code == 302, page.content
    assert Lead.objects.get().assigned_to == reps[0]


def test_a_bulk_create_routes_each_new_lead_by_its_source(admin_api, reps):
    a_rule("IVR", [reps[0]], source="IVR")
    a_rule("Website", [reps[1]], source="Website")
    leads = [
        {"name": "One", "phone": unique_phone(), "source": "IVR"},
        {"name": "Two", "phone": unique_phone(), "source": "Website"},
        {"name": "Three", "phone": unique_phone(), "source": "Fair"},
    ]
    response = admin_api.post_json("/api/v1/leads/bulk", {"leads": leads})
    assert response.status_code == 200, response.content
    assignees = {lead.name: lead.assigned_to for lead in Lead.objects.all()}
    assert assignees == {"One": reps[0], "Two": reps[1], "Three": None}
