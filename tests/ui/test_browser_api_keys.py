"""Settings → Integrations → API in a real browser: a key is shown once, regenerating it
retires the old one at once."""

import re

import pytest
import requests
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def call_api(live_server, key: str) -> int:
    response = requests.get(
        f"{live_server.url}/api/v1/leads", headers={"Authorization": f"Bearer {key}"}, timeout=15
    )
    return response.status_code


def shown_key(page) -> str:
    key = page.locator("#new-api-key").input_value()
    assert re.fullmatch(r"le_live_\w+", key), key
    return key


def test_create_then_regenerate_a_key(page, context, page_log, login_as, live_server, rep):
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    login_as(rep)
    page.goto("/")
    page.get_by_role("link", name="Settings · API").click()
    page.get_by_role("link", name="New API key").click()
    page.get_by_label(re.compile(r"^Name")).fill("Dialer")
    page.get_by_role("button", name="Create key").click()

    expect(page.get_by_role("heading", name="Created “Dialer”")).to_be_visible()
    first_key = shown_key(page)
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == first_key
    assert call_api(live_server, first_key) == 200

    page.get_by_role("link", name="Done").click()
    expect(page.locator("#api-keys")).to_contain_text("Dialer")
    assert first_key not in page.content()  # shown once only
    page.get_by_role("link", name="Regenerate Key").click()
    expect(page.locator("main")).to_contain_text("The current key stops working immediately")
    page.get_by_role("button", name="Regenerate Key").click()

    expect(page.get_by_role("heading", name="New key for “Dialer”")).to_be_visible()
    second_key = shown_key(page)
    assert second_key != first_key
    assert call_api(live_server, first_key) == 401
    assert call_api(live_server, second_key) == 200
    page.goto("/settings/integrations/api/")
    assert second_key not in page.content()
    assert page_log.outside_requests == []
