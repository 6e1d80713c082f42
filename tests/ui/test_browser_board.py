"""The pipeline board in a real browser (headless Chromium against the live server): drag a card
to another column, move one with the keyboard's "Move to…", one stage at a time with tabs at
390 px, the same without JavaScript, and axe-core at desktop and phone width."""

import re
from decimal import Decimal

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from playwright.sync_api import expect

from leads.models import Lead
from pipelines.models import Stage
from tests.factories import make_lead

from .conftest import TIMEOUT_MS, logged_in
from .helpers import DESKTOP, PHONE

pytestmark = pytest.mark.browser


@pytest.fixture
def leads(rep) -> dict[str, Lead]:
    rows = [
        ("Asha Sharma", "Sunrise Realty", "New", Decimal("450000")),
        ("Rahul Verma", "Verma Traders", "New", Decimal("120000")),
        ("Priya Iyer", "Nimbus Tech", "Qualified", Decimal("200000")),
        ("Arjun Mehta", None, "Won", None),
    ]
    return {
        name: make_lead(
            name=name, company=company, status=status, deal_value=value, assigned_to=rep
        )
        for name, company, status, value in rows
    }


@pytest.fixture
def csp_violations(page) -> list[str]:
    """What the Content-Security-Policy blocked on the page (SortableJS included): none, or
    something on the board needs an inline script or style."""
    found: list[str] = []
    page.expose_function("reportCspViolation", lambda text: found.append(text))
    page.add_init_script(
        """document.addEventListener("securitypolicyviolation", (event) => {
            window.reportCspViolation(`${event.effectiveDirective}: ${event.blockedURI}`);
        });"""
    )
    page.on("pageerror", lambda error: found.append(f"page error: {error}"))
    return found


def column(page, name: str):
    return page.locator("section.column", has=page.get_by_role("heading", name=name, exact=True))


def card(page, lead: Lead):
    return page.locator(f'li.lead-card[data-lead-id="{lead.pk}"]')


def expect_totals(page, name: str, count: str, value: str) -> None:
    stats = column(page, name).locator(".column-stats")
    expect(stats).to_have_text(f"{count} · {value}")


def stage_of(lead: Lead) -> str:
    return Stage.objects.get(leads=lead).name


def test_drag_a_card_to_another_column(page, page_log, csp_violations, login_as, rep, leads):
    asha = leads["Asha Sharma"]
    login_as(rep)
    page.goto("/pipeline/")
    expect_totals(page, "New", "2 leads", "₹5,70,000")
    expect_totals(page, "Qualified", "1 lead", "₹2,00,000")

    card(page, asha).drag_to(column(page, "Qualified").locator("ol.cards"))

    expect(page.locator("#board-announcer")).to_have_text("Moved “Asha Sharma” to Qualified.")
    expect(column(page, "Qualified").locator("li.lead-card").first).to_contain_text("Asha Sharma")
    expect(column(page, "New").locator("li.lead-card")).to_have_count(1)
    expect_totals(page, "New", "1 lead", "₹1,20,000")
    expect_totals(page, "Qualified", "2 leads", "₹6,50,000")
    assert stage_of(asha) == "Qualified"
    assert Lead.objects.get(pk=asha.pk).status == "Qualified"

    # The page as the server draws it now agrees.
    page.reload()
    expect_totals(page, "Qualified", "2 leads", "₹6,50,000")
    expect(column(page, "Qualified").locator("li.lead-card").first).to_contain_text("Asha Sharma")
    assert page_log.outside_requests == []
    assert csp_violations == []


def test_a_refused_drop_puts_the_card_back(page, login_as, rep, other_rep, leads):
    asha = leads["Asha Sharma"]
    login_as(rep)
    page.goto("/pipeline/")
    # Meanwhile an admin gives the lead to another rep: this rep may no longer move it.
    Lead.objects.filter(pk=asha.pk).update(assigned_to=other_rep)

    card(page, asha).drag_to(column(page, "Won").locator("ol.cards"))

    expect(page.locator("#board-announcer")).to_have_text("Not moved: No such lead.")
    expect(column(page, "New").locator(f'[data-lead-id="{asha.pk}"]')).to_be_visible()
    expect(column(page, "Won").locator("li.lead-card")).to_have_count(1)
    expect_totals(page, "New", "2 leads", "₹5,70,000")
    assert stage_of(asha) == "New"


def test_move_a_card_with_the_keyboard(page, login_as, rep, leads):
    rahul = leads["Rahul Verma"]
    login_as(rep)
    page.goto("/pipeline/")
    card(page, rahul).get_by_role("link", name="Rahul Verma").focus()

    page.keyboard.press("Tab")  # "Move to…"
    expect(card(page, rahul).locator("summary")).to_be_focused()
    page.keyboard.press("Enter")  # opens it
    page.keyboard.press("Tab")  # the stage select
    select = card(page, rahul).get_by_label("Stage to move Rahul Verma to")
    expect(select).to_be_focused()
    page.keyboard.type("Won")  # a focused select picks the option typed
    expect(select).to_have_value(str(Stage.objects.get(pipeline__is_default=True, name="Won").pk))
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # "Move"

    expect(page.locator("#board-announcer")).to_have_text("Moved “Rahul Verma” to Won.")
    moved = column(page, "Won").locator(f'[data-lead-id="{rahul.pk}"]')
    expect(moved).to_be_visible()
    # Focus stays with the card, in its new column, so the next key press goes on from there.
    expect(moved.get_by_role("link", name="Rahul Verma")).to_be_focused()
    expect_totals(page, "New", "1 lead", "₹4,50,000")
    expect_totals(page, "Won", "2 leads", "₹1,20,000")
    assert stage_of(rahul) == "Won"


def test_a_phone_shows_one_stage_at_a_time_with_tabs(page, csp_violations, login_as, rep, leads):
    priya = leads["Priya Iyer"]
    page.set_viewport_size(PHONE)
    login_as(rep)
    page.goto("/pipeline/")
    tabs = page.get_by_role("navigation", name="Stages")
    expect(tabs).to_be_visible()
    expect(column(page, "New")).to_be_visible()
    expect(column(page, "Qualified")).to_be_hidden()
    expect(tabs.get_by_role("link", name=re.compile(r"^New"))).to_have_attribute(
        "aria-current", "true"
    )

    tabs.get_by_role("link", name=re.compile(r"^Qualified")).click()
    expect(column(page, "Qualified")).to_be_visible()
    expect(column(page, "New")).to_be_hidden()
    assert re.search(r"[?&]stage=", page.url)
    expect(tabs.get_by_role("link", name=re.compile(r"^Qualified"))).to_have_attribute(
        "aria-current", "true"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # "Move to…" is how a phone moves a card: it leaves the stage shown, the tabs count it.
    priya_card = card(page, priya)
    priya_card.locator("summary").click()
    priya_card.get_by_label("Stage to move Priya Iyer to").select_option(label="Proposal")
    priya_card.get_by_role("button", name="Move").click()
    expect(page.locator("#board-announcer")).to_have_text("Moved “Priya Iyer” to Proposal.")
    expect(column(page, "Qualified").locator("li.lead-card")).to_have_count(0)
    expect(column(page, "Qualified").locator(".column-empty")).to_be_visible()
    expect(tabs.get_by_role("link", name=re.compile(r"^Proposal"))).to_have_text("Proposal 1")
    assert stage_of(priya) == "Proposal"

    # A reload keeps the stage the tabs chose (it is in the address).
    page.reload()
    expect(column(page, "Qualified")).to_be_visible()
    expect(column(page, "Proposal")).to_be_hidden()
    assert csp_violations == []


def test_without_javascript_the_move_form_posts_and_comes_back(browser, live_server, rep, leads):
    context = browser.new_context(
        viewport=DESKTOP, base_url=live_server.url, java_script_enabled=False
    )
    context.set_default_timeout(TIMEOUT_MS)
    cookie = logged_in(rep).cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    try:
        page = context.new_page()
        asha = leads["Asha Sharma"]
        page.goto("/pipeline/?priority=Medium")
        asha_card = card(page, asha)
        asha_card.locator("summary").click()
        asha_card.get_by_label("Stage to move Asha Sharma to").select_option(label="Contacted")
        asha_card.get_by_role("button", name="Move").click()
        expect(page.locator(".message")).to_have_text("Moved “Asha Sharma” to Contacted.")
        assert page.url.endswith("/pipeline/?priority=Medium")
        expect_totals(page, "Contacted", "1 lead", "₹4,50,000")
        assert stage_of(asha) == "Contacted"
    finally:
        context.close()


@pytest.mark.parametrize("viewport", [pytest.param(DESKTOP, id="desktop"),
                                      pytest.param(PHONE, id="phone")])  # fmt: skip
def test_axe_finds_no_serious_or_critical_violation(page, page_log, login_as, rep, leads, viewport):
    Stage.objects.filter(name="New").update(rotting_days=3)
    Lead.objects.filter(pk=leads["Rahul Verma"].pk).update(
        updated_at=leads["Rahul Verma"].updated_at.replace(year=2020)
    )
    page.set_viewport_size(viewport)
    login_as(rep)
    found: list[str] = []

    def audit(name: str) -> None:
        for violation in Axe().run(page).response["violations"]:
            if violation["impact"] in ("serious", "critical"):
                targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:4])
                found.append(f"{name}: {violation['id']} ({violation['impact']}) at {targets}")

    page.goto("/pipeline/")
    expect(card(page, leads["Rahul Verma"]).locator(".badge-rotting")).to_have_text(
        re.compile(r"^Rotting")
    )
    audit("board")
    asha = card(page, leads["Asha Sharma"])
    asha.locator("summary").click()
    expect(asha.locator(".move-form")).to_be_visible()
    audit("board, a Move to… open")
    asha.get_by_label("Stage to move Asha Sharma to").select_option(label="Lost")
    asha.get_by_role("button", name="Move").click()
    expect(page.locator("#board-announcer .message")).to_be_visible()
    audit("board after a move")
    page.goto("/pipeline/?q=nobody-by-this-name&priority=High")
    audit("board, filtered to nothing")
    assert found == []
    assert page_log.outside_requests == []
