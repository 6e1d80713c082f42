"""Every main page renders with realistic data at desktop and phone width. With CRM_SCREENSHOTS=1
the pictures are written to docs/screenshots/ (run it to refresh them); otherwise to a temporary
directory, so an ordinary test run never rewrites tracked files."""

import datetime as dt
import os
import re
import struct
from pathlib import Path

import pytest
from django.conf import settings
from django.db.models import F
from django.utils import timezone
from playwright.sync_api import expect

from events.services import Actor
from leads.models import Lead
from pipelines.models import Stage
from routing.services import assignment_rule_create

from .demo import seed_demo
from .helpers import DESKTOP, PHONE

pytestmark = pytest.mark.browser

PAGES = [
    ("home", "/", "Today"),
    ("leads-list", "/leads/", "Leads"),
    ("lead-detail", "{lead}", "Ananya Reddy"),
    ("lead-new", "/leads/new/", "New lead"),
    ("calls-list", "/calls/", "Calls"),
    ("board", "/pipeline/", "Pipeline"),
    ("reports", "/reports/", "Reports"),
    ("settings-api", "/settings/integrations/api/", "API keys"),
]


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


def age_the_board(leads: dict[str, Lead]) -> None:
    """The demo's leads entered their stages when they were created (the board's "days in
    stage"), and one of them has sat in Qualified, unchanged, past its rotting limit."""
    seeded = Lead.objects.filter(pk__in=[lead.pk for lead in leads.values()])
    seeded.update(stage_entered_at=F("created_at"))
    Stage.objects.filter(pipeline__is_default=True, name="Qualified").update(rotting_days=5)
    divya = leads["Divya Menon"]
    Lead.objects.filter(pk=divya.pk).update(updated_at=timezone.now() - dt.timedelta(days=7))


@pytest.mark.parametrize(("label", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_main_pages_at_desktop_and_phone_width(
    page, page_log, login_as, rep, other_rep, admin_user, tmp_path, label, viewport
):
    wanted = os.environ.get("CRM_SCREENSHOTS") == "1"
    folder = Path(settings.BASE_DIR) / "docs" / "screenshots" if wanted else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    leads = seed_demo(rep=rep, other_rep=other_rep)
    age_the_board(leads)
    page.set_viewport_size(viewport)

    def shoot(name: str) -> None:
        path = folder / f"{name}-{label}.png"
        # The whole page on a desktop; what a phone shows before scrolling.
        page.screenshot(path=path, full_page=label == "desktop")
        width, height = png_size(path)
        assert width == viewport["width"]
        assert height >= viewport["height"]

    page.goto("/login/")
    expect(page.get_by_role("heading", name="Log in to LeadCRM")).to_be_visible()
    shoot("login")

    login_as(rep)
    for name, path, heading in PAGES:
        page.goto(path.format(lead=f"/leads/{leads['Ananya Reddy'].pk}/"))
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= viewport["width"], f"{name} scrolls sideways at {label} width"
        shoot(name)
    # An admin's pages: Settings → Routing with its rules, and a bulk assign's confirmation.
    assignment_rule_create(
        actor=Actor.system(),
        fields={"name": "IVR and phone calls", "source": "IVR", "active": True},
        reps=[rep, other_rep],
    )
    assignment_rule_create(
        actor=Actor.system(), fields={"name": "Everything else", "active": True}, reps=[other_rep]
    )
    login_as(admin_user)
    page.goto("/settings/routing/")
    expect(page.get_by_role("heading", name="Lead routing", exact=True)).to_be_visible()
    shoot("settings-routing")
    page.goto("/leads/")
    for name in ("Ananya Reddy", "Priya Iyer", "Meera Joshi"):
        page.get_by_label(f"Select {name}", exact=True).check()
    page.get_by_label(re.compile(r"^Action")).select_option(label="Assign to…")
    page.get_by_label("Assign to", exact=True).select_option(other_rep.email)
    page.get_by_role("button", name="Continue…").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Assign 3 leads")
    shoot("leads-bulk-confirm")
    assert page_log.outside_requests == []
