"""Bulk actions and saved views in a real browser (headless Chromium against the live server):
tick rows, choose "Assign to…", confirm the count, see the result; select every lead on the
page from the table's head; save the current filters as a view, then apply it from the menu.
axe-core audits each step (no serious or critical violation), at desktop and at phone width;
no script error and nothing fetched from elsewhere."""

import re

import pytest
from playwright.sync_api import expect

from leads.models import Lead
from tests.factories import make_lead
from ui.models import SavedView

from .helpers import DESKTOP, PHONE
from .test_browser_axe_all_pages import Audit

pytestmark = pytest.mark.browser

VIEWPORTS = [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")]


@pytest.fixture
def script_errors(page) -> list[str]:
    """Script errors and what the Content-Security-Policy blocked: none, or the page's script
    does not run as it should."""
    found: list[str] = []
    page.expose_function("reportCspViolation", lambda text: found.append(text))
    page.add_init_script(
        """document.addEventListener("securitypolicyviolation", (event) => {
            window.reportCspViolation(`${event.effectiveDirective}: ${event.blockedURI}`);
        });"""
    )
    page.on("pageerror", lambda error: found.append(f"page error: {error}"))
    return found


@pytest.fixture
def leads(rep) -> dict[str, Lead]:
    rows = [("Asha Sharma", "New"), ("Rahul Verma", "New"), ("Priya Iyer", "Won")]
    return {
        name: make_lead(name=name, status=status, assigned_to=rep, tags=["hot"])
        for name, status in rows
    }


def row_box(page, name: str):
    return page.get_by_label(f"Select {name}", exact=True)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_bulk_assign_ticked_rows_with_a_confirmation(
    page, page_log, script_errors, login_as, admin_user, rep, other_rep, leads, viewport
):
    page.set_viewport_size(viewport)
    check = Audit(page, viewport)
    login_as(admin_user)
    check.visit("leads with bulk actions", "/leads/")
    panel = page.locator("#bulk-panel")
    expect(panel).not_to_have_attribute("open", "")

    row_box(page, "Asha Sharma").check()
    row_box(page, "Priya Iyer").check()
    expect(panel).to_have_attribute("open", "")  # ticking a row opens the panel
    expect(page.locator("#bulk-ticked")).to_have_text("(2 ticked)")
    expect(page.get_by_label("The leads ticked in the list")).to_be_checked()
    expect(page.get_by_label("Assign to", exact=True)).to_be_hidden()  # until the action says

    page.get_by_label(re.compile(r"^Action")).select_option(label="Assign to…")
    expect(page.get_by_label("New status")).to_be_hidden()
    page.get_by_label("Assign to", exact=True).select_option(other_rep.email)
    check.check("leads, bulk panel filled in")
    page.get_by_role("button", name="Continue…").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Assign 2 leads to {other_rep.email}?"
    )
    expect(page.locator(".bulk-preview")).to_contain_text("Asha Sharma")
    assert Lead.objects.filter(assigned_to=other_rep).count() == 0  # nothing yet
    check.check("bulk confirmation")
    page.get_by_role("button", name="Assign 2 leads").click()

    expect(page.locator(".message.success")).to_have_text(f"Assigned 2 leads to {other_rep.email}.")
    assert re.search(r"/leads/(\?.*)?$", page.url)
    check.check("leads after a bulk assign")
    assert set(Lead.objects.filter(assigned_to=other_rep).values_list("name", flat=True)) == {
        "Asha Sharma",
        "Priya Iyer",
    }
    check.assert_clean()
    assert script_errors == []
    assert page_log.outside_requests == []


def test_select_every_lead_on_the_page_from_the_tables_head(
    page, script_errors, login_as, rep, leads
):
    login_as(rep)
    page.goto("/leads/")
    select_page = page.get_by_label("Select every lead on this page")
    expect(select_page).to_be_visible()  # the script shows it
    select_page.check()
    for name in leads:
        expect(row_box(page, name)).to_be_checked()
    expect(page.locator("#bulk-ticked")).to_have_text("(3 ticked)")
    row_box(page, "Rahul Verma").uncheck()
    assert page.evaluate("document.getElementById('select-page').indeterminate")

    page.get_by_label(re.compile(r"^Action")).select_option(label="Remove tag…")
    page.get_by_label("Tag", exact=True).fill("HOT")
    page.get_by_role("button", name="Continue…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Remove the tag “HOT” from 2 leads?")
    page.get_by_role("button", name="Untag 2 leads").click()
    expect(page.locator(".message.success")).to_have_text("Removed the tag “HOT” from 2 leads.")
    assert {lead.name: lead.tags for lead in Lead.objects.all()} == {
        "Asha Sharma": [],
        "Rahul Verma": ["hot"],
        "Priya Iyer": [],
    }
    assert script_errors == []


def test_bulk_actions_work_without_javascript(browser, live_server, admin_user, leads):
    """No script: every value field shows, the rows are ticked one by one (or "every lead
    matching the filters" is chosen), and the same two steps do it."""
    from .conftest import logged_in

    context = browser.new_context(viewport=DESKTOP, base_url=live_server.url,
                                  java_script_enabled=False)  # fmt: skip
    try:
        cookie = logged_in(admin_user).cookies["sessionid"]
        context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])
        page = context.new_page()
        page.goto("/leads/?status=New")
        page.locator("#bulk-panel summary").click()
        page.get_by_label("Every lead matching the filters (2)").check()
        page.get_by_label(re.compile(r"^Action")).select_option(label="Change status to…")
        page.get_by_label("New status").select_option("Qualified")
        page.get_by_role("button", name="Continue…").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Change the status of 2 leads to Qualified?"
        )
        page.get_by_role("button", name="Change status of 2 leads").click()
        expect(page.locator(".message.success")).to_have_text(
            "Changed the status of 2 leads to Qualified."
        )
        assert page.url.endswith("/leads/?status=New")
        assert sorted(Lead.objects.values_list("status", flat=True)) == [
            "Qualified", "Qualified", "Won",
        ]  # fmt: skip
    finally:
        context.close()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_save_a_view_then_apply_it_from_the_menu(
    page, page_log, script_errors, login_as, admin_user, leads, viewport
):
    page.set_viewport_size(viewport)
    check = Audit(page, viewport)
    login_as(admin_user)
    page.goto("/leads/")
    filters = page.locator("#lead-filters")
    if not filters.get_by_label("Status").is_visible():
        filters.locator("summary").click()  # folded on a phone
    filters.get_by_label("Status").select_option("Won")
    filters.get_by_role("button", name="Apply").click()
    expect(page.locator("#result-count")).to_have_text("1 lead matches the filters")

    menu = page.locator("#saved-views")
    menu.locator("summary").click()
    check.check("saved views menu, empty")
    menu.get_by_label("Save the current filters and sort as").fill("Won deals")
    menu.get_by_label("Share with everyone").check()
    menu.get_by_role("button", name="Save view").click()
    expect(page.locator(".message.success")).to_have_text(
        "Saved the view “Won deals” and shared it with everyone."
    )
    view = SavedView.objects.get()
    assert (view.name, view.query, view.shared) == ("Won deals", "status=Won", True)

    page.goto("/leads/")
    expect(page.locator("#leads tbody tr")).to_have_count(3)
    menu.locator("summary").click()
    menu.get_by_role("link", name="Won deals").click()
    expect(page.locator("#leads tbody tr")).to_have_count(1)
    expect(page.locator("#leads")).to_contain_text("Priya Iyer")
    expect(menu.locator("summary")).to_have_text(re.compile(r"Saved views: Won deals"))
    menu.locator("summary").click()
    expect(menu.get_by_role("link", name="Won deals")).to_have_attribute("aria-current", "true")
    check.check("saved views menu, a view applied")

    menu.get_by_role("link", name="Rename or delete saved views").click()
    expect(page.get_by_role("heading", name="Saved views")).to_be_visible()
    check.check("saved views page")
    page.get_by_label("New name for “Won deals”").fill("Closed won")
    page.get_by_role("button", name="Rename").click()
    expect(page.locator(".message.success")).to_have_text("Renamed “Won deals” to “Closed won”.")
    check.check("saved views page after a rename")
    assert SavedView.objects.get().name == "Closed won"
    check.assert_clean()
    assert script_errors == []
    assert page_log.outside_requests == []
