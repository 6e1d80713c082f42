"""The calls list on a phone is a stack of cards, each value under its small label. A call
without notes shows no "NOTES" label over nothing."""

import pytest

from tests.factories import make_call, make_lead

from .helpers import PHONE

pytestmark = pytest.mark.browser

NOTES_LABEL = """(cell) => {
  const style = getComputedStyle(cell);
  const label = getComputedStyle(cell, "::before");
  return style.display === "none" || label.display === "none" ? "" : label.content;
}"""


def test_a_call_without_notes_has_no_notes_label(page, login_as, rep):
    lead = make_lead(name="Priya Sharma", assigned_to=rep)
    make_call(lead, notes="Wants a callback on Monday")
    make_call(lead, notes="")
    login_as(rep)
    page.set_viewport_size(PHONE)
    page.goto("/calls/")

    rows = page.locator("#calls tbody tr")
    assert rows.count() == 2
    shown = {}
    for row in rows.all():
        cell = row.locator("td.cell-notes")
        shown[cell.inner_text().strip()] = cell.evaluate(NOTES_LABEL)
    assert shown == {"Wants a callback on Monday": '"Notes"', "": ""}
