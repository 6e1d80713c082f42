"""Every page runs under the strict Content-Security-Policy (CONTENT_SECURITY_POLICY in
config/settings.py) with nothing blocked: no inline <script>, <style>, style="…" attribute or
on…= handler, in our templates or in the ones we serve from packages (Swagger UI, the admin)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.factories import make_call, make_key, make_lead
from webhooks.models import Attempt, Message, Subscription

# Reports every violation to Python the moment it happens, on whichever page the browser is.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation(
    `${event.effectiveDirective} blocked ${event.blockedURI || "(none)"} `
    + `at ${event.sourceFile || document.URL}:${event.lineNumber}: ${event.sample}`
  );
});
"""

MISSING_LEAD = "/leads/00000000-0000-0000-0000-000000000000/"
# The one 404 that is no fault: the not-found page visited on purpose. (Every page links its
# icon, the admin's included: Chromium never asks for a /favicon.ico that is not there.)
EXPECTED_NOT_FOUND = (MISSING_LEAD,)


def assert_strict_policy(policy: str | None, where: str) -> None:
    assert policy, f"{where}: no Content-Security-Policy header"
    directives = {}
    for part in filter(None, (part.strip() for part in policy.split(";"))):
        name, _, values = part.partition(" ")
        directives[name] = values
    for name in ("default-src", "script-src", "style-src"):
        assert directives.get(name) == "'self'", f"{where}: {name} is {directives.get(name)!r}"
    assert "unsafe-" not in policy, f"{where}: {policy}"
    assert "nonce-" not in policy, f"{where}: {policy}"


@pytest.mark.browser
def test_every_page_runs_without_a_csp_violation(page, page_log, login_as, live_server, admin_user):
    problems: list[str] = []
    page.expose_function(
        "reportCspViolation", lambda text: problems.append(f"{page.url}: violation: {text}")
    )
    page.add_init_script(REPORT_VIOLATIONS)

    def record_console(message) -> None:
        text, url = message.text, message.location["url"]
        if message.type not in ("error", "warning") and "Content Security Policy" not in text:
            return
        if text.startswith("Failed to load resource") and url.endswith(EXPECTED_NOT_FOUND):
            return
        problems.append(f"{page.url}: console {message.type}: {message.text}")

    page.on("console", record_console)
    page.on("pageerror", lambda error: problems.append(f"{page.url}: page error: {error}"))

    lead = make_lead(name="Ananya Reddy", status="Qualified", source="Referral",
                     assigned_to=admin_user, deal_value=450000)  # fmt: skip
    make_lead(status="New", source="IVR", assigned_to=admin_user)
    make_lead(status="New", source="Website", assigned_to=admin_user)
    make_lead(status="Won", source="IVR", assigned_to=admin_user)
    make_call(lead, notes="Asked for a quote")
    make_call(lead, call_type="Inbound", duration_seconds=0, outcome="Missed")
    api_key, raw_key = make_key(admin_user, name="Dialer")

    def visit(path: str, heading: str | None = None) -> None:
        response = page.goto(path)
        assert response is not None, path
        assert response.ok, f"{path}: {response.status}"
        assert_strict_policy(response.headers.get("content-security-policy"), path)
        if heading:
            expect(page.get_by_role("heading", name=heading, exact=True).first).to_be_visible()

    visit("/login/", "Log in to LeadCRM")
    visit("/admin/login/")

    login_as(admin_user)
    visit("/", "Today")
    # The bar charts draw (an SVG <rect width="NN%">, not a blocked inline style).
    bar = page.locator("#chart-status rect").first
    expect(bar).to_be_visible()
    assert bar.bounding_box()["width"] > 0
    visit("/leads/", "Leads")
    visit("/leads/new/", "New lead")
    visit(f"/leads/{lead.pk}/", "Ananya Reddy")
    visit(f"/leads/{lead.pk}/edit/")
    visit(f"/leads/{lead.pk}/delete/")
    visit("/calls/", "Calls")
    visit("/settings/integrations/api/", "API keys")
    visit("/settings/integrations/api/new/")
    visit(f"/settings/integrations/api/{api_key.pk}/edit/")
    visit(f"/settings/integrations/api/{api_key.pk}/regenerate/")
    visit(f"/settings/integrations/api/{api_key.pk}/revoke/")
    hook = Subscription.objects.create(
        owner=admin_user, url="https://hooks.example.com/crm", events=["*"], secret="whsec_x"
    )
    sent = Message.objects.create(subscription=hook, webhook_id="msg_csp", event_type="ping",
                                  body="{}", state="delivered")  # fmt: skip
    Attempt.objects.create(message=sent, status=200, duration_ms=5, response="ok")
    visit("/settings/integrations/webhooks/", "Webhooks")
    visit("/settings/integrations/webhooks/new/", "New webhook")
    for action in ("edit", "rotate-secret", "delete", "deliveries"):
        visit(f"/settings/integrations/webhooks/{hook.pk}/{action}/")
    # The page that shows a new key once, and its Copy button (static/js/app.js).
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto("/settings/integrations/api/new/")
    page.get_by_label(re.compile(r"^Name")).fill("Webhook")
    page.get_by_label(re.compile(r"^Linked user")).select_option("admin@example.com")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_role("heading", name="Created “Webhook”")).to_be_visible()
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()

    # Swagger UI: its stylesheet, its three scripts (the init script from ?script, never
    # inline), the schema fetched, and an operation drawn; then a real call made from it.
    visit("/api/docs/")
    assert page.locator("html").get_attribute("lang") == "en"
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Lead CRM API")
    # static/css/api-docs.css, which replaces the package template's inline style block.
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(250, 250, 250)"
    page.locator(".auth-wrapper").get_by_role("button", name="Authorize").click()
    bearer = page.locator(".auth-container", has_text="BearerAuth")
    bearer.get_by_label("auth-bearer-value").fill(raw_key)
    bearer.get_by_role("button", name="Apply credentials").click()
    bearer.get_by_role("button", name="Close").click()
    operation = page.locator(".opblock", has_text="/api/v1/leads").first
    expect(operation).to_be_visible()
    operation.locator(".opblock-summary").first.click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    expect(
        operation.locator(".live-responses-table tbody .response-col_status").first
    ).to_have_text("200")

    visit("/admin/", "Site administration")
    visit("/admin/leads/lead/")
    expect(page.locator("#result_list")).to_contain_text("Ananya Reddy")
    visit(f"/admin/leads/lead/{lead.pk}/change/")
    expect(page.locator("#lead_form")).to_be_visible()
    visit("/admin/calls/calllog/")
    visit("/admin/leads/lead/add/")

    # The not-found page (base.html, on a 404).
    response = page.goto(MISSING_LEAD)
    assert response.status == 404
    assert_strict_policy(response.headers.get("content-security-policy"), "404")

    assert problems == []
    assert page_log.outside_requests == []


# --- Without a browser: guards against the inline code coming back ---------------------------

TEMPLATES = Path(settings.BASE_DIR) / "templates"
INLINE = re.compile(
    r"""\sstyle\s*=          # a style="…" attribute
      | <style[\s>]          # a <style> block
      | <script(?![^>]*\ssrc=)[^>]*>  # a <script> with no src: inline code
      | \son[a-z]+\s*=       # an onclick=… event handler
      | javascript:          # a javascript: URL""",
    re.IGNORECASE | re.VERBOSE,
)


def test_no_template_has_inline_code():
    found = [
        f"{path.relative_to(TEMPLATES)}:{number}: {line.strip()}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if INLINE.search(line)
    ]
    assert found == []


@pytest.mark.django_db
def test_pages_carry_the_policy_and_home_has_no_inline_style(client, rep_client, rep):
    make_lead(status="New", source="IVR", assigned_to=rep)
    make_lead(status="Won", source="Website", assigned_to=rep)
    home = rep_client.get("/")
    assert home.status_code == 200
    assert_strict_policy(home.headers.get("Content-Security-Policy"), "/")
    html = home.content.decode()
    assert not re.search(r"\sstyle\s*=", html, re.IGNORECASE)
    assert "<style" not in html
    # The bars are still there, as SVG widths, hidden from screen readers beside their numbers.
    assert re.search(r'<span class="bar" aria-hidden="true"><svg[^>]*><rect class="fill-new" '
                     r'width="100%"', html)  # fmt: skip
    assert 'width="100%"' in html.split('id="chart-source"')[1]

    docs = rep_client.get("/api/docs/")
    assert docs.status_code == 200
    assert_strict_policy(docs.headers.get("Content-Security-Policy"), "/api/docs/")
    docs_html = docs.content.decode()
    assert '<html lang="en">' in docs_html
    assert "<style" not in docs_html
    assert "css/api-docs.css" in docs_html
    script = re.findall(r'<script src="([^"]+)"', docs_html)[-1]
    assert "script=" in script  # the init script comes from a URL, not inline
    init = rep_client.get(script.replace("&amp;", "&"))
    assert init.status_code == 200
    assert init.headers["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in init.content.decode()

    login = client.get("/login/")  # logged out
    assert_strict_policy(login.headers.get("Content-Security-Policy"), "/login/")


def test_the_policy_sent_is_the_one_django_csp_builds_from_the_settings(client, settings):
    from csp.utils import build_policy

    assert client.get("/login/")["Content-Security-Policy"] == build_policy()
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    assert client.get("/login/")["Content-Security-Policy"] == "default-src 'none'"
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"img-src": ["'self'"]}}
    response = client.get("/login/")
    assert response["Content-Security-Policy-Report-Only"] == build_policy(report_only=True)
    assert "img-src 'self'" in response["Content-Security-Policy-Report-Only"]
