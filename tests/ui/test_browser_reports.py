"""The reports page in a real browser (headless Chromium against the live server): Chart.js
draws every chart at desktop and phone width under the Content-Security-Policy, with nothing
fetched from elsewhere, no sideways scroll at 390 px, and axe-core finds no serious or critical
violation; without JavaScript the tables carry every number."""

import datetime as dt
from decimal import Decimal

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from playwright.sync_api import expect

from core.dates import ist_midnight, ist_today
from tests.factories import make_lead

from .conftest import TIMEOUT_MS, logged_in
from .helpers import DESKTOP, PHONE

pytestmark = pytest.mark.browser

VIEWPORTS = [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")]


@pytest.fixture
def leads(rep, other_rep):
    made = []
    for n in range(24):
        created = ist_midnight(ist_today() - dt.timedelta(days=n % 12)) + dt.timedelta(hours=11)
        made.append(
            make_lead(
                assigned_to=(rep, other_rep)[n % 2],
                status=("New", "Contacted", "Qualified", "Proposal", "Won", "Lost")[n % 6],
                source=("IVR", "Website", "Referral", "Facebook Ads")[n % 4],
                deal_value=Decimal(10000 * (n + 1)),
                created_at=created,
            )
        )
    return made


@pytest.fixture
def csp_violations(page) -> list[str]:
    found: list[str] = []
    page.expose_function("reportCspViolation", lambda text: found.append(text))
    page.add_init_script(
        """document.addEventListener("securitypolicyviolation", (event) => {
            window.reportCspViolation(`${event.effectiveDirective}: ${event.blockedURI}`);
        });"""
    )
    page.on("pageerror", lambda error: found.append(f"page error: {error}"))
    page.on("console", lambda m: found.append(f"console: {m.text}") if m.type == "error" else None)
    return found


def drawn_charts(page) -> dict[str, bool]:
    """{canvas id: whether Chart.js has a chart on it}."""
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll("canvas[data-chart]")].map(
            (canvas) => [canvas.id, window.Chart?.getChart(canvas) !== undefined]
        ))"""
    )


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_charts_are_drawn(
    page, page_log, csp_violations, login_as, admin_user, leads, viewport
):
    page.set_viewport_size(viewport)
    login_as(admin_user)
    page.goto("/reports/")
    expect(page.get_by_role("heading", name="Reports", exact=True)).to_be_visible()
    expect(page.locator("#chart-reps")).to_be_visible()
    page.wait_for_function("() => typeof Chart !== 'undefined'")
    assert drawn_charts(page) == {
        "chart-funnel": True, "chart-sources": True, "chart-daily": True, "chart-reps": True
    }  # fmt: skip
    # Each chart fits its card (it resizes with the page), and the page does not scroll sideways.
    widths = page.evaluate(
        """() => [...document.querySelectorAll("canvas[data-chart]")].map(
            (c) => c.getBoundingClientRect().right)"""
    )
    assert all(0 < right <= viewport["width"] for right in widths)
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert page_log.outside_requests == []
    assert csp_violations == []


def test_a_rep_gets_three_charts_and_the_filters_apply(page, csp_violations, login_as, rep, leads):
    login_as(rep)
    page.goto("/reports/")
    page.get_by_label("Source", exact=True).select_option("IVR")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url("/reports/?from_date=&to_date=&source=IVR&pipeline=")
    page.wait_for_function("() => typeof Chart !== 'undefined'")
    assert drawn_charts(page) == {"chart-funnel": True, "chart-sources": True, "chart-daily": True}
    expect(page.locator("#report-sources tbody tr")).to_have_count(1)
    assert csp_violations == []


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_source_name_at_its_limit_leaves_the_numbers_in_sight(
    page, login_as, admin_user, leads, viewport
):
    make_lead(source="S" * 100, status="Won", deal_value=Decimal(1))  # one word, 100 characters
    page.set_viewport_size(viewport)
    login_as(admin_user)
    page.goto("/reports/")
    wrap = page.locator("#report-sources .report-table-wrap").bounding_box()
    row = page.locator("#report-sources tbody tr").filter(has_text="S" * 20)
    name, leads_cell = row.locator("th").bounding_box(), row.locator("td").first.bounding_box()
    # The name wraps (no wider than the box; on a phone it heads its row's card) and the first
    # number is within the box unscrolled.
    assert name["width"] <= wrap["width"]
    assert leads_cell["x"] + leads_cell["width"] <= wrap["x"] + wrap["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


def test_without_javascript_the_tables_carry_the_numbers(browser, live_server, admin_user, leads):
    context = browser.new_context(
        viewport=PHONE, base_url=live_server.url, java_script_enabled=False
    )
    context.set_default_timeout(TIMEOUT_MS)
    cookie = logged_in(admin_user).cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    try:
        page = context.new_page()
        page.goto("/reports/")
        sources = page.get_by_role("table", name="Leads per source")
        expect(sources.get_by_role("row")).to_have_count(5)  # a header and 4 sources
        expect(page.locator("#report-reps tbody tr")).to_have_count(2)
        page.get_by_text("Table: leads per IST day").click()
        expect(page.locator("#report-daily tbody tr")).to_have_count(31)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_axe_finds_no_serious_or_critical_violation(
    page, page_log, login_as, admin_user, leads, viewport
):
    page.set_viewport_size(viewport)
    login_as(admin_user)
    found: list[str] = []

    def audit(name: str) -> None:
        for violation in Axe().run(page).response["violations"]:
            if violation["impact"] in ("serious", "critical"):
                targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:4])
                found.append(f"{name}: {violation['id']} ({violation['impact']}) at {targets}")

    page.goto("/reports/")
    page.wait_for_function("() => typeof Chart !== 'undefined'")
    audit("reports")
    page.get_by_text("Table: leads per IST day").click()
    audit("reports, the per-day table open")
    page.goto("/reports/?from_date=2026-05-02&to_date=2026-05-01")
    expect(page.locator(".field-error")).to_be_visible()
    audit("reports, a bad window")
    assert found == []
    assert page_log.outside_requests == []


CELLS_OUTSIDE = """(id) => {
    const wrap = document.querySelector(`#${id} .report-table-wrap`).getBoundingClientRect();
    return [...document.querySelectorAll(`#${id} caption, #${id} tbody th, #${id} tbody td`)]
        .filter((cell) => {
            const box = cell.getBoundingClientRect();
            return box.left < wrap.left - 0.5 || box.right > wrap.right + 0.5;
        })
        .map((cell) => cell.textContent.trim());
}"""


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_every_number_and_caption_is_in_sight_without_scrolling(
    page, login_as, admin_user, leads, viewport
):
    make_lead(source="Trade fair Mumbai", status="Won", deal_value=Decimal("123456789.50"))
    page.set_viewport_size(viewport)
    login_as(admin_user)
    page.goto("/reports/")
    for report in ("report-funnel", "report-sources", "report-reps"):
        # Nothing of the table lies beyond its box, so nothing needs a sideways scroll (at 390 px
        # a row is a card: its name, then each number under its column's name).
        assert page.evaluate(CELLS_OUTSIDE, report) == [], report
        wrap = page.locator(f"#{report} .report-table-wrap")
        assert wrap.evaluate("(e) => e.scrollWidth <= e.clientWidth"), report
    if viewport is PHONE:
        won = page.locator("#report-sources tbody tr").filter(has_text="Trade fair Mumbai")
        value = won.get_by_role("cell").last
        # The number, named by its column (shown above it; the column header names it to
        # assistive technology, so the label is left out of the cell's accessible name).
        expect(value).to_have_accessible_name("₹12,34,56,789.50")
        label = value.evaluate("(cell) => getComputedStyle(cell, '::before').content")
        assert label.startswith('"Won value"'), label
    # The table is still a table to assistive technology, with its column headers.
    sources = page.get_by_role("table", name="Leads per source")
    expect(sources.get_by_role("columnheader")).to_have_count(7)
    expect(sources.get_by_role("rowheader", name="Trade fair Mumbai")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_long_refused_value_wraps_in_its_message(page, login_as, admin_user, viewport):
    page.set_viewport_size(viewport)
    login_as(admin_user)
    response = page.goto("/reports/?source=" + "a" * 600)
    assert response is not None
    assert response.status == 400
    expect(page.locator(".field-error").first).to_contain_text("aaaa")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
