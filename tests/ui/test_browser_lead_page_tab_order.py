"""Keyboard order on the lead page follows what the eye reads: on a wide screen the left column
(details, then the timeline) before the right one (log a call, stage); on a narrow one, top to
bottom."""

import datetime as dt

import pytest

from tests.factories import make_call, make_lead

from .helpers import DESKTOP, PHONE

pytestmark = pytest.mark.browser

FOCUSED = """() => {
  const el = document.activeElement;
  const region = el.closest(".detail-info, .detail-main, .detail-side");
  const box = el.getBoundingClientRect();
  return {region: region ? region.id || region.className : null,
          x: box.x + window.scrollX, y: box.y + window.scrollY,
          text: (el.getAttribute("name") || el.textContent || "").trim().slice(0, 30)};
}"""


def tab_through_layout(page) -> list[dict]:
    """Tab from the last header action through the lead page's columns."""
    page.locator(".head-actions a").last.focus()
    stops = []
    for _ in range(60):
        page.keyboard.press("Tab")
        stop = page.evaluate(FOCUSED)
        if stop["region"] is None:
            if stops:
                break
            continue
        stops.append(stop)
    return stops


@pytest.fixture
def lead(rep):
    lead = make_lead(name="Priya Sharma", email="priya@example.com", assigned_to=rep)
    make_call(lead, notes="Asked for a quote", called_at=dt.datetime(2025, 1, 2, 5, tzinfo=dt.UTC))
    return lead


def test_wide_screen_tabs_the_left_column_before_the_right(page, login_as, rep, lead):
    login_as(rep)
    page.set_viewport_size(DESKTOP)
    page.goto(f"/leads/{lead.pk}/")
    stops = tab_through_layout(page)
    regions = [stop["region"] for stop in stops]
    # Each region once, in one run, in reading order: the left column's two, then the right.
    runs = [
        region for index, region in enumerate(regions) if index == 0 or regions[index - 1] != region
    ]
    assert runs == ["details", "timeline", "detail-side"], regions
    left = [stop["x"] for stop in stops if stop["region"] != "detail-side"]
    right = [stop["x"] for stop in stops if stop["region"] == "detail-side"]
    assert max(left) < min(right)


def test_narrow_screen_tabs_top_to_bottom(page, login_as, rep, lead):
    login_as(rep)
    page.set_viewport_size(PHONE)
    page.goto(f"/leads/{lead.pk}/")
    stops = tab_through_layout(page)
    assert len({stop["region"] for stop in stops}) == 3
    tops = [stop["y"] for stop in stops]
    assert tops == sorted(tops), stops
