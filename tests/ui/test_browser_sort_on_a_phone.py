"""On a phone the leads table is a stack of cards with no column headers to click, so the list
has a "Sort by" select of its own. It is part of the filter form: it works without JavaScript."""

import pytest
from django.conf import settings

from tests.factories import make_lead

from .conftest import TIMEOUT_MS, logged_in
from .helpers import PHONE

pytestmark = pytest.mark.browser


@pytest.fixture
def phone_context_without_js(browser, live_server):
    context = browser.new_context(
        viewport=PHONE, base_url=live_server.url, java_script_enabled=False
    )
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


def test_sort_by_name_on_a_phone_without_javascript(phone_context_without_js, live_server, rep):
    for name in ("Bharat Rao", "Chitra Iyer", "Arjun Mehta"):
        make_lead(name=name, assigned_to=rep)
    cookie = logged_in(rep).cookies[settings.SESSION_COOKIE_NAME]
    context = phone_context_without_js
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    page = context.new_page()
    page.goto("/leads/")

    names = page.locator("#leads .lead-link")
    assert names.all_inner_texts() == ["Arjun Mehta", "Chitra Iyer", "Bharat Rao"]  # newest first
    sort = page.get_by_label("Sort by")
    assert sort.is_visible()
    assert page.locator("#leads thead").is_hidden()  # the headers are not there to click
    sort.select_option(label="Name, A to Z")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**sort=name**")
    assert names.all_inner_texts() == ["Arjun Mehta", "Bharat Rao", "Chitra Iyer"]
    assert page.get_by_label("Sort by").input_value() == "name"

    page.get_by_label("Sort by").select_option(label="Name, Z to A")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**sort=-name**")
    assert names.all_inner_texts() == ["Chitra Iyer", "Bharat Rao", "Arjun Mehta"]
