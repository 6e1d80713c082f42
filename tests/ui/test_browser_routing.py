"""Settings → Routing in headless Chromium, as tests/ui/test_browser_axe_all_pages.py audits
every other page: no serious or critical axe-core violation at desktop and phone width (empty,
filled, with errors, the Django admin's pages too), and a rule made by clicking routes leads."""

import re

import pytest
from playwright.sync_api import expect

from events.models import Channel
from events.services import Actor
from leads.services import lead_upsert
from routing.models import AssignmentRule
from tests.factories import make_user, unique_phone
from tests.routing.conftest import a_rule

from .test_browser_axe_all_pages import VIEWPORTS, Audit

pytestmark = pytest.mark.browser


@pytest.fixture
def reps(db):
    return [make_user(f"rep-{letter}@example.com") for letter in "abcd"]


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_routing_pages_pass_axe(page, page_log, login_as, admin_user, reps, viewport):
    page.set_viewport_size(viewport)
    check = Audit(page, viewport)
    login_as(admin_user)
    check.visit("routing (empty)", "/settings/routing/")
    expect(page.get_by_role("heading", name="Lead routing")).to_be_visible()
    check.visit("new rule", "/settings/routing/new/")
    page.get_by_role("button", name="Create rule").click()
    expect(page.get_by_text("Choose at least one rep.")).to_be_visible()
    check.check("new rule with errors")

    rule = a_rule("IVR callers", reps[:2], source="IVR")
    a_rule("Everything else", reps[2:])
    reps[3].is_active = False
    reps[3].save()
    check.visit("routing", "/settings/routing/")
    check.visit("rule edit", f"/settings/routing/{rule.pk}/edit/")
    check.visit("rule delete", f"/settings/routing/{rule.pk}/delete/")
    check.visit("admin rules", "/admin/routing/assignmentrule/")
    check.visit("admin rule", f"/admin/routing/assignmentrule/{rule.pk}/change/")
    check.visit("admin new rule", "/admin/routing/assignmentrule/add/")
    check.visit("admin routed leads", "/admin/routing/routedlead/")
    check.assert_clean()
    assert page_log.outside_requests == []


def test_an_admin_makes_a_rule_by_clicking_and_it_routes(page, login_as, admin_user, reps):
    login_as(admin_user)
    page.goto("/")
    page.get_by_role("link", name="Settings · Routing").click()
    page.get_by_role("link", name="New rule").click()
    page.get_by_label(re.compile("^Name")).fill("Website leads")
    page.get_by_label("Lead source").fill("Website")
    page.get_by_label("rep-b@example.com").check()
    page.get_by_label("rep-c@example.com").check()
    page.get_by_role("button", name="Create rule").click()
    expect(page.get_by_text("Created the rule “Website leads”.")).to_be_visible()
    expect(page.locator("#routing-rules")).to_contain_text("rep-c@example.com (0)")
    rule = AssignmentRule.objects.get()
    assert rule.source == "Website"

    actor = Actor(user=admin_user, channel=Channel.API)
    fields = {"name": "Visitor", "phone": unique_phone(), "source": "website"}
    assert lead_upsert(actor=actor, fields=fields).lead.assigned_to == reps[1]
    page.reload()
    expect(page.locator("#routing-rules")).to_contain_text("rep-b@example.com (1)")
