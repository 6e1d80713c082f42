"""At a 1366 x 768 laptop screen and on a 390 px phone, long content stays inside its box: a long
lead name on Today wraps before the badge or buttons beside it (whole: a phone shows no tooltip
of a cut name), and the API-keys and webhooks tables fit their cards (every action visible, not
scrolled out of sight)."""

import pytest
from django.utils import timezone

from events.services import Actor
from tests.factories import make_call, make_key, make_lead
from webhooks.services import webhook_create

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
LONG_NAME = "Venkata Subramanya Lakshmi Narasimha Chakravarthy Raghunathan Iyengar"
LONG_WORD = "Bhagyalakshmiramanathapuramvenkataraghavachari"


def box(locator) -> dict:
    found = locator.bounding_box()
    assert found is not None, locator
    return found


def right(b: dict) -> float:
    return b["x"] + b["width"]


@pytest.mark.parametrize("viewport", ["laptop", "phone"])
def test_long_names_on_today_stop_before_the_badge_or_buttons(page, login_as, rep, viewport):
    now = timezone.now()
    for name in (LONG_NAME, LONG_WORD):
        lead = make_lead(name=name, status="New", priority="High", city=LONG_WORD, assigned_to=rep)
        # Now, not an hour ago: that is yesterday for "calls today" in the first IST hour.
        make_call(lead, duration_seconds=0, outcome="Missed", called_at=now)
    login_as(rep)
    page.set_viewport_size(LAPTOP if viewport == "laptop" else PHONE)
    page.goto("/")

    rows = page.locator("#new-leads .rows li, #missed .rows li, #calls-today .rows li")
    assert rows.count() == 6
    for index in range(rows.count()):
        row = rows.nth(index)
        row_box = box(row)
        main = box(row.locator(".row-main"))
        name = box(row.locator(".row-main strong"))
        sub = box(row.locator(".row-main .row-sub"))
        beside = row.locator(":scope > .row-main + *")  # the badge, or the Call back buttons
        assert beside.count() == 1
        beside_box = box(beside)
        assert right(name) <= beside_box["x"], f"row {index}: name runs under {beside_box}"
        assert right(sub) <= beside_box["x"], f"row {index}: sub line runs under {beside_box}"
        assert right(main) <= beside_box["x"]
        assert right(beside_box) <= right(row_box) + 0.5, f"row {index}: pushed out of the card"
        # Whole, not cut short, and not squeezed away: the name keeps the room left to it.
        assert row.locator(".row-main strong").evaluate("(el) => el.scrollWidth <= el.clientWidth")
        # (On a phone the Call back and WhatsApp buttons take most of a row: a few words.)
        least = 0.3 * row_box["width"] if viewport == "laptop" else 80
        assert name["width"] >= least, f"row {index}: name squeezed to {name}"
    # The missed call's two buttons are both wholly inside the card.
    card = box(page.locator("#missed"))
    for button in page.locator("#missed .row-actions a").all():
        assert right(box(button)) <= right(card)


def test_api_keys_table_fits_its_box(page, login_as, admin_user):
    make_key(
        admin_user,
        name="Exotel IVR production dialer integration",
        allowed_ips=["203.0.113.0/24", "198.51.100.17/32", "2001:db8:abcd:12::/64"],
        rate_limit=1200,
    )
    make_key(admin_user, name="CSV nightly export", permissions="read")
    login_as(admin_user)
    page.set_viewport_size(LAPTOP)
    page.goto("/settings/integrations/api/")

    wrap = page.locator(".table-wrap")
    sizes = wrap.evaluate("(el) => ({scroll: el.scrollWidth, client: el.clientWidth})")
    assert sizes["scroll"] <= sizes["client"], f"table wider than its box: {sizes}"
    wrap_box = box(wrap)
    assert right(box(page.locator("#api-keys"))) <= right(wrap_box) + 0.5
    for link in page.locator("#api-keys td.actions a").all():
        assert link.is_visible()
        assert right(box(link)) <= right(wrap_box), link.inner_text()


LONGEST_WORD = "W" * 200  # a name of one word, at its 200-character limit


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
@pytest.mark.parametrize("path", ["/leads/{id}/", "/leads/{id}/edit/"])
def test_one_word_names_at_their_limits_and_long_tags_do_not_widen_the_lead_pages(
    page, login_as, rep, viewport, path
):
    lead = make_lead(
        name=LONGEST_WORD, company="C" * 200, city="P" * 100, tags=["T" * 50, "U" * 50],
        assigned_to=rep,
    )  # fmt: skip
    login_as(rep)
    page.set_viewport_size(viewport)
    page.goto(path.format(id=lead.pk))
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


@pytest.mark.parametrize("path", ["/", "/reports/"])
def test_the_largest_totals_do_not_widen_today_or_reports_on_a_phone(
    page, login_as, admin_user, path
):
    for _ in range(3):  # open value 2,999,999,999,999.97: more digits than a card is wide
        make_lead(deal_value="999999999999.99", status="New")
    login_as(admin_user)
    page.set_viewport_size(PHONE)
    page.goto(path)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_webhooks_table_fits_its_box(page, login_as, admin_user, viewport):
    actor = Actor.system(admin_user)
    for index in range(3):
        events = ["*"] if index == 0 else ["lead.created", "lead.updated", "call_log.created"]
        webhook_create(
            actor=actor, url=f"https://hooks.example.com/crm/endpoint/{index}", events=events,
            description="Zapier production",
        )  # fmt: skip
    login_as(admin_user)
    page.set_viewport_size(viewport)
    page.goto("/settings/integrations/webhooks/")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    wrap = page.locator(".table-wrap")
    sizes = wrap.evaluate("(el) => ({scroll: el.scrollWidth, client: el.clientWidth})")
    assert sizes["scroll"] <= sizes["client"], f"table wider than its box: {sizes}"
    wrap_box = box(wrap)
    actions = page.locator("#webhooks td.actions a, #webhooks td.actions button")
    assert actions.count() == 15
    for action in actions.all():
        assert action.is_visible()
        assert right(box(action)) <= right(wrap_box), action.inner_text()


def test_a_new_keys_page_does_not_widen_a_phone(page, login_as, admin_user):
    login_as(admin_user)
    page.set_viewport_size(PHONE)
    page.goto("/settings/integrations/api/new/")
    page.fill("input[name=name]", "Exotel IVR")
    page.locator("form button.primary[type=submit]").click()
    page.wait_for_url("**/created/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
