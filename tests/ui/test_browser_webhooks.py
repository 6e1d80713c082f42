"""Settings → Integrations → Webhooks in a real browser: a webhook is created through the form,
its secret shown once, then listed; the delivery log shows what was sent. Every page passes
axe-core without a serious or critical violation and fits a 390 px phone screen.

With CRM_SCREENSHOTS=1 the list and the deliveries pages are written to docs/screenshots/ (as
test_browser_screenshots does); otherwise to a temporary directory."""

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from events.services import Actor
from webhooks.models import Attempt, Message, MessageState
from webhooks.services import webhook_create

from .helpers import DESKTOP, PHONE

pytestmark = pytest.mark.browser

BASE = "/settings/integrations/webhooks/"


@pytest.fixture(autouse=True)
def _private_urls_allowed(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True


def assert_accessible(page, where: str) -> None:
    """axe-core (run through page.evaluate, which the pages' strict CSP does not block): no
    serious or critical violation."""
    results = Axe().run(page)
    bad = [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + ", ".join(" ".join(node["target"]) for node in violation["nodes"][:3])
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
    assert bad == [], f"{where}: {bad}"


def assert_fits(page, width: int, where: str) -> None:
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{where} scrolls sideways at {width} px ({scroll_width})"


def screenshot_folder(tmp_path: Path) -> Path:
    wanted = os.environ.get("CRM_SCREENSHOTS") == "1"
    folder = Path(settings.BASE_DIR) / "docs" / "screenshots" if wanted else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def log_deliveries(subscription) -> None:
    """A delivered message and a failed one, with their attempts, as the worker writes them."""
    now = timezone.now()
    delivered = Message.objects.create(
        subscription=subscription, webhook_id="msg_2mDelivered0000000000000001",
        event_type="lead.created", body="{}", state=MessageState.DELIVERED,
        created_at=now - dt.timedelta(minutes=12),
    )  # fmt: skip
    Attempt.objects.create(
        message=delivered, at=now - dt.timedelta(minutes=12), status=200, duration_ms=184,
        response='{"ok": true}',
    )  # fmt: skip
    failed = Message.objects.create(
        subscription=subscription, webhook_id="msg_2mFailed00000000000000002",
        event_type="call_log.created", body="{}", state=MessageState.FAILED,
        created_at=now - dt.timedelta(minutes=40),
        failure_reason="No success after 3 attempts: the last answered HTTP 500.",
    )  # fmt: skip
    for minutes, status, error, ms, response in [
        (40, 503, "", 95, "Service Unavailable"),
        (39, None, "Connection refused", 2, ""),
        (34, 500, "", 1210, "<html><body><h1>Internal Server Error</h1></body></html>"),
    ]:
        Attempt.objects.create(
            message=failed, at=now - dt.timedelta(minutes=minutes), status=status, error=error,
            duration_ms=ms, response=response,
        )  # fmt: skip


def test_create_a_webhook_see_its_secret_once_then_its_deliveries(
    page, page_log, login_as, rep, tmp_path
):
    folder = screenshot_folder(tmp_path)
    login_as(rep)
    page.goto("/")
    page.get_by_role("link", name="Settings · Webhooks").click()
    expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()
    assert_accessible(page, "empty list")

    page.get_by_role("link", name="New webhook").click()
    expect(page.get_by_role("heading", name="New webhook")).to_be_visible()
    assert_accessible(page, "new")
    page.get_by_label(re.compile(r"^Endpoint URL")).fill("https://127.0.0.1:8443/hooks/crm")
    page.get_by_label("lead.created").check()
    page.get_by_label("lead.updated").check()
    page.get_by_label(re.compile(r"^Description")).fill("Sync to the billing system")
    page.get_by_role("button", name="Create webhook").click()

    expect(page.get_by_role("heading", name="Created the webhook")).to_be_visible()
    secret = page.locator("#webhook-secret").input_value()
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/=]{44}", secret), secret
    assert secret not in page.url
    assert_accessible(page, "secret")
    page.set_viewport_size(PHONE)
    assert_fits(page, PHONE["width"], "secret")
    page.set_viewport_size(DESKTOP)

    page.get_by_role("link", name="Done").click()
    table = page.locator("#webhooks")
    expect(table).to_contain_text("https://127.0.0.1:8443/hooks/crm")
    expect(table).to_contain_text("Sync to the billing system")
    expect(table).to_contain_text("Enabled")
    assert secret not in page.content()  # shown once only
    page.go_back()  # the secret page again: it is gone
    expect(page.locator("#webhooks")).to_be_visible()
    assert secret not in page.content()
    assert_accessible(page, "list")

    # Its delivery log, with a delivered and a failed message.
    subscription = rep.webhook_subscriptions.get()
    other = webhook_create(
        actor=Actor.system(rep), url="https://127.0.0.1:8443/hooks/old", events=["*"],
        description="Old dialer integration",
    ).subscription  # fmt: skip
    other.enabled = False
    other.disabled_reason = "The endpoint answered 410 Gone: it asked to stop."
    other.save()
    log_deliveries(subscription)
    page.reload()
    expect(page.locator("#webhooks")).to_contain_text("410 Gone")
    expect(page.get_by_role("button", name="Re-enable")).to_be_visible()
    assert_accessible(page, "list with a disabled webhook")
    page.screenshot(path=folder / "webhooks-list-desktop.png", full_page=True)

    page.locator(f'tr[data-subscription-id="{subscription.pk}"]').get_by_role(
        "link", name="Deliveries"
    ).click()
    expect(page.get_by_role("heading", name="Deliveries")).to_be_visible()
    deliveries = page.locator("#deliveries")
    expect(deliveries).to_contain_text("msg_2mDelivered0000000000000001")
    expect(deliveries).to_contain_text("HTTP 200")
    expect(deliveries).to_contain_text("Connection refused")
    expect(deliveries).to_contain_text("No success after 3 attempts")
    assert_accessible(page, "deliveries")
    page.screenshot(path=folder / "webhooks-deliveries-desktop.png", full_page=True)

    page.get_by_role("button", name="Resend msg_2mFailed00000000000000002").click()
    expect(page.locator(".messages")).to_contain_text("Resending webhook-id msg_2mFailed")
    expect(page.locator("#deliveries")).to_contain_text("Pending")

    # Every page on a phone: nothing scrolls sideways, axe still passes.
    page.set_viewport_size(PHONE)
    for name, path in [
        ("webhooks-list", BASE),
        ("new", f"{BASE}new/"),
        ("edit", f"{BASE}{subscription.pk}/edit/"),
        ("rotate", f"{BASE}{subscription.pk}/rotate-secret/"),
        ("delete", f"{BASE}{subscription.pk}/delete/"),
        ("webhooks-deliveries", f"{BASE}{subscription.pk}/deliveries/"),
    ]:
        page.goto(path)
        assert_fits(page, PHONE["width"], name)
        assert_accessible(page, f"{name} at phone width")
        if name.startswith("webhooks-"):
            page.screenshot(path=folder / f"{name}-phone.png")
    assert page_log.outside_requests == []
    assert page_log.dialogs == []
