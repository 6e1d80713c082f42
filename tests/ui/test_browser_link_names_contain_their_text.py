"""A link's accessible name contains its visible text (WCAG 2.5.3, axe's
label-content-name-mismatch): a speech user who says "click Call back" must hit the button.
axe counts this rule as experimental and leaves it out unless asked, so it is asked here, on
every page that shows a phone with its Call, Call back and WhatsApp links."""

import datetime as dt

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone

from tests.factories import make_call, make_lead

from .helpers import DESKTOP, PHONE

pytestmark = pytest.mark.browser

RULE = "label-content-name-mismatch"


def mismatches(page) -> list[str]:
    results = Axe().run(page, options={"runOnly": {"type": "rule", "values": [RULE]}})
    return [
        f"{page.url}: {node['html']}"
        for violation in results.response["violations"]
        for node in violation["nodes"]
    ]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_call_back_and_whatsapp_names_contain_their_visible_text(page, login_as, rep, viewport):
    lead = make_lead(name="Priya Sharma", phone="+919876543210", assigned_to=rep)
    make_call(
        lead, duration_seconds=0, outcome="Missed", called_at=timezone.now() - dt.timedelta(hours=1)
    )
    login_as(rep)
    page.set_viewport_size(viewport)
    found = []
    for path in ("/", "/leads/", f"/leads/{lead.pk}/", "/calls/"):
        page.goto(path)
        found += mismatches(page)
    assert found == []
    page.goto("/")
    call_back = page.locator("#missed a[href^='tel:']")
    assert call_back.inner_text() == "Call back"
    assert call_back.get_attribute("aria-label") == "Call back Priya Sharma"
