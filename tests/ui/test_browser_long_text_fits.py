"""At a 1366 x 768 laptop screen, long content stays inside its box: a long lead name on Today
is cut short before the badge or buttons beside it, and the API-keys table fits its card (its
"Revoke" link visible, not scrolled out of sight)."""

import pytest
from django.utils import timezone

from tests.factories import make_call, make_key, make_lead

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}
LONG_NAME = "Venkata Subramanya Lakshmi Narasimha Chakravarthy Raghunathan Iyengar"
LONG_WORD = "Bhagyalakshmiramanathapuramvenkataraghavachari"


def box(locator) -> dict:
    found = locator.bounding_box()
    assert found is not None, locator
    return found


def right(b: dict) -> float:
    return b["x"] + b["width"]


def test_long_names_on_today_stop_before_the_badge_or_buttons(page, login_as, rep):
    now = timezone.now()
    for name in (LONG_NAME, LONG_WORD):
        lead = make_lead(name=name, status="New", priority="High", city=LONG_WORD, assigned_to=rep)
        # Now, not an hour ago: that is yesterday for "calls today" in the first IST hour.
        make_call(lead, duration_seconds=0, outcome="Missed", called_at=now)
    login_as(rep)
    page.set_viewport_size(LAPTOP)
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
        # Cut short, not squeezed away: the name keeps the room the badge or buttons leave.
        assert name["width"] >= 0.3 * row_box["width"], f"row {index}: name squeezed to {name}"
        assert sub["height"] < 3 * 20, f"row {index}: sub line broken up: {sub}"
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


PHONE = {"width": 390, "height": 844}
LONGEST_WORD = "W" * 200  # a name of one word, at its 200-character limit


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
@pytest.mark.parametrize("path", ["/leads/{id}/", "/leads/{id}/edit/"])
def test_a_one_word_name_at_its_limit_and_long_tags_do_not_widen_the_lead_pages(
    page, login_as, rep, viewport, path
):
    lead = make_lead(name=LONGEST_WORD, tags=["T" * 50, "U" * 50], assigned_to=rep)
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
