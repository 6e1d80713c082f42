"""Fixtures for the browser UI tests: logged-in Django test clients, and a real headless
Chromium driven by Playwright against pytest-django's live server."""

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from .helpers import DESKTOP

# Debian's chromium: Playwright's own browser download does not work on our machines.
CHROMIUM = os.environ.get("CRM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Generous: load tests may be running on the same small machine.
TIMEOUT_MS = 15_000


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def rep_client(rep) -> Client:
    return logged_in(rep)


@pytest.fixture
def admin_client(admin_user) -> Client:
    return logged_in(admin_user)


# --- Browser ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium for the whole session. No browser is a failure, never a skip: a
    suite that quietly stops testing the UI is worse than one that says it cannot."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(
            f"No Chromium at {CHROMIUM}. Install it (apt-get install chromium) or point "
            "CRM_CHROMIUM at one."
        )
    with sync_playwright() as pw:
        # A plain launch runs on a fresh temporary profile, deleted when the browser closes.
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=60_000)
        yield chromium
        chromium.close()


@dataclass
class PageLog:
    """What a page did besides rendering: requests to other origins, and dialogs it opened."""

    outside_requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture
def page_log() -> PageLog:
    return PageLog()


@pytest.fixture
def context(browser, live_server):
    context = browser.new_context(viewport=DESKTOP, base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def page(context, live_server, page_log):
    page = context.new_page()

    def record_request(request):
        if not request.url.startswith((live_server.url, "data:", "blob:", "about:")):
            page_log.outside_requests.append(request.url)

    def record_dialog(dialog):
        page_log.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("request", record_request)
    page.on("dialog", record_dialog)
    yield page
    page.close()


@pytest.fixture
def login_as(context, live_server):
    """login_as(user): give the browser a logged-in session without typing a password (the
    login test types one)."""

    def login(user) -> None:
        cookie = logged_in(user).cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])

    return login
