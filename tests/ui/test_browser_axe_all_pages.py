"""axe-core on every page of the app, in headless Chromium, at desktop and at 390 px phone width:
no serious or critical violation anywhere. That is how outside testers audit the app, so it is
how we test it: the sales pages and the pipeline board (as a sales rep and as an admin, whose
pages differ), Settings → Pipelines, Settings → Integrations → API, the login and locked-out
pages, the 400 and 404 pages, the API docs (Swagger UI) and the Django admin.

The CSV export ("Export CSV" on the leads list) is a file download, not a page: nothing to audit.

Rules left out, each on one page only, for a reason given where it is left out: see EXCLUDED."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from pipelines.models import Pipeline
from tasks.models import Task

from .demo import seed_demo
from .helpers import DESKTOP, PHONE

pytestmark = pytest.mark.browser

VIEWPORTS = [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")]
KEYS = "/settings/integrations/api/"

# page name → axe rules not counted there, and why. Only for third-party pages, only where the
# project's own template overrides and CSS cannot reasonably fix what axe finds.
SWAGGER_SELECTS = (
    "Swagger UI (drf-spectacular-sidecar's bundle, a React app) draws an enum parameter as a "
    "<select> with no label and no aria-label; the name is in another table cell. Only a change "
    "to Swagger UI's own components can label it: no template or stylesheet of ours reaches it."
)
EXCLUDED: dict[str, dict[str, str]] = {
    "API docs, an operation open": {"select-name": SWAGGER_SELECTS},
    "API docs, trying an operation": {"select-name": SWAGGER_SELECTS},
}


ADMIN_WIDGETS_NAMED = """() => [...document.querySelectorAll(
    '.select2-selection[role="combobox"]')].every((box) => box.dataset.a11yNamed === "1")"""


class Audit:
    """Runs axe on each page visited and collects serious and critical violations, so one run
    reports every page that fails, not only the first."""

    def __init__(self, page, viewport: dict):
        self.page = page
        self.width = viewport["width"]
        self.found: list[str] = []

    def check(self, name: str) -> None:
        skip = EXCLUDED.get(name, {})
        # The admin's select2 widgets are named by static/js/admin-a11y.js once built: audit
        # the page as a person meets it, after that script has run, not in between.
        self.page.wait_for_function(ADMIN_WIDGETS_NAMED)
        results = Axe().run(self.page)
        for violation in results.response["violations"]:
            if violation["impact"] not in ("serious", "critical") or violation["id"] in skip:
                continue
            targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:4])
            self.found.append(
                f"{name} @{self.width}px: {violation['id']} ({violation['impact']}): "
                f"{violation['help']} at {targets}"
            )

    def visit(self, name: str, path: str) -> None:
        response = self.page.goto(path)
        assert response is not None
        self.check(name)

    def assert_clean(self) -> None:
        assert self.found == [], "\n".join(self.found)


@pytest.fixture
def audit(page, request):
    def build(viewport: dict) -> Audit:
        page.set_viewport_size(viewport)
        return Audit(page, viewport)

    return build


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_login_locked_out_and_not_found_pages(page, page_log, audit, settings, rep, viewport):
    settings.AXES_FAILURE_LIMIT = 2
    check = audit(viewport)
    check.visit("login", "/login/")
    expect(page.get_by_role("heading", name="Log in to LeadCRM")).to_be_visible()

    page.get_by_label(re.compile(r"^Email")).fill("rep@example.com")
    page.get_by_label(re.compile(r"^Password")).fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".form-error")).to_be_visible()
    check.check("login with an error")

    page.get_by_label(re.compile(r"^Password")).fill("wrong again")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Too many failed login attempts")).to_be_visible()
    check.check("locked out")

    check.visit("not found (logged out)", "/no-such-page/")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    check.assert_clean()
    assert page_log.outside_requests == []


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_sales_and_settings_pages_as_a_rep(
    page, page_log, audit, login_as, rep, other_rep, viewport
):
    check = audit(viewport)
    login_as(rep)
    # Empty states first: a rep with nothing yet.
    check.visit("home (empty)", "/")
    expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()
    check.visit("leads (empty)", "/leads/")
    check.visit("calls (empty)", "/calls/")
    check.visit("API keys (empty)", KEYS)

    leads = seed_demo(rep=rep, other_rep=other_rep)
    lead = leads["Ananya Reddy"]
    check.visit("home", "/")
    check.visit("leads", "/leads/")
    expect(page.locator("#leads")).to_contain_text("Ananya Reddy")
    check.visit("leads filtered", "/leads/?q=a&status=New&priority=High&source=IVR&sort=-created")
    check.visit("leads, no match", "/leads/?q=nobody-by-this-name")
    check.visit("leads, bad filter", "/leads/?from_date=not-a-date&per_page=7")
    check.visit("leads page 2", "/leads/?per_page=10&page=2")
    check.visit("bad request (a NUL in a filter)", "/leads/?q=a%00b")
    check.visit("calls", "/calls/")
    check.visit("calls filtered", "/calls/?call_type=Inbound&outcome=Missed")
    check.visit("pipeline board", "/pipeline/")

    check.visit("new lead", "/leads/new/")
    page.get_by_label(re.compile(r"^Name")).fill("No contact")
    page.get_by_role("button", name="Create lead").click()
    expect(page.locator(".field-error").first).to_be_visible()
    check.check("new lead with errors")
    page.goto("/leads/new/")
    page.get_by_label(re.compile(r"^Name")).fill("Rahul V")
    page.get_by_label(re.compile(r"^Phone")).fill("099887-76655")
    page.get_by_label(re.compile(r"^Source")).fill("IVR")
    page.get_by_role("button", name="Create lead").click()
    expect(page.locator("#duplicate-lead")).to_be_visible()
    check.check("new lead, a duplicate")

    check.visit("lead detail", f"/leads/{lead.pk}/")
    expect(page.locator("#timeline-entries li").first).to_be_visible()
    task = Task.objects.filter(lead=lead).first()
    check.visit("task edit", f"/tasks/{task.pk}/edit/?next=/")
    check.visit("calls", "/calls/")
    page.locator("#log-call summary").click()
    page.locator("#log-call").get_by_role("button", name="Log call").click()
    expect(page.get_by_role("heading", name="Log a call")).to_be_visible()
    check.check("log a call with errors")
    check.visit("lead with few details", f"/leads/{leads['Kavya Nair'].pk}/")
    check.visit("lead edit", f"/leads/{lead.pk}/edit/")
    page.get_by_label(re.compile(r"^Name")).fill("")
    page.get_by_role("button", name=re.compile("Save")).click()
    expect(page.locator(".field-error").first).to_be_visible()
    check.check("lead edit with errors")
    check.visit("lead delete", f"/leads/{lead.pk}/delete/")
    check.visit("not found", "/leads/00000000-0000-0000-0000-000000000000/")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()

    # Settings → Integrations → API
    check.visit("API keys", KEYS)
    check.visit("new API key", f"{KEYS}new/")
    page.get_by_role("button", name="Create key").click()
    expect(page.locator(".field-error").first).to_be_visible()
    check.check("new API key with errors")
    page.get_by_label(re.compile(r"^Name")).fill("Dialer")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_role("heading", name="Created “Dialer”")).to_be_visible()
    check.check("API key created")
    key_id = re.search(r"/(\d+)/created/", page.url).group(1)
    check.visit("API key edit", f"{KEYS}{key_id}/edit/")
    check.visit("API key regenerate", f"{KEYS}{key_id}/regenerate/")
    page.get_by_role("button", name="Regenerate Key").click()
    expect(page.get_by_role("heading", name="New key for “Dialer”")).to_be_visible()
    check.check("API key regenerated")
    check.visit("API key revoke", f"{KEYS}{key_id}/revoke/")
    page.get_by_role("button", name=re.compile("Revoke")).click()
    expect(page.locator(".message").first).to_be_visible()
    check.check("API keys with a revoked key")

    check.visit("API docs", "/api/docs/")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    check.check("API docs")
    page.locator(".swagger-ui .opblock-summary-control").first.click()
    expect(page.locator(".swagger-ui .opblock.is-open").first).to_be_visible()
    check.check("API docs, an operation open")
    page.locator(".swagger-ui .opblock.is-open").get_by_role("button", name="Try it out").click()
    expect(page.locator(".swagger-ui .opblock.is-open .execute").first).to_be_visible()
    check.check("API docs, trying an operation")

    check.assert_clean()
    assert page_log.outside_requests == []


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_sales_pages_and_django_admin_as_an_admin(
    page, page_log, audit, login_as, admin_user, rep, other_rep, viewport
):
    check = audit(viewport)
    leads = seed_demo(rep=rep, other_rep=other_rep)
    lead = leads["Ananya Reddy"]
    login_as(admin_user)
    check.visit("home (admin)", "/")
    check.visit("leads (admin)", "/leads/")
    check.visit("leads filtered (admin)", f"/leads/?assigned_to={rep.pk}&status=New")
    check.visit("calls (admin)", "/calls/")
    check.visit("lead detail (admin)", f"/leads/{lead.pk}/")
    check.visit("lead edit (admin)", f"/leads/{lead.pk}/edit/")
    check.visit("new lead (admin)", "/leads/new/")
    check.visit("API keys (admin)", KEYS)
    check.visit("API key edit (admin)", f"{KEYS}{rep.api_keys.first().pk}/edit/")
    check.visit("pipeline board (admin)", "/pipeline/")

    # Settings → Pipelines (admins only).
    sales = Pipeline.objects.get(is_default=True)
    stage = sales.stages.get(name="Proposal")
    check.visit("pipelines", "/settings/pipelines/")
    check.visit("new pipeline", "/settings/pipelines/new/")
    page.get_by_role("button", name="Create pipeline").click()
    check.check("new pipeline with errors")
    check.visit("pipeline edit", f"/settings/pipelines/{sales.pk}/edit/")
    check.visit("new stage", f"/settings/pipelines/{sales.pk}/stages/new/")
    check.visit("stage edit", f"/settings/pipelines/stages/{stage.pk}/edit/")
    check.visit("stage archive", f"/settings/pipelines/stages/{stage.pk}/archive/")

    # The Django admin.
    check.visit("admin index", "/admin/")
    expect(page.locator("#content")).to_be_visible()
    check.visit("admin leads", "/admin/leads/lead/")
    check.visit("admin leads searched", "/admin/leads/lead/?q=a&status__exact=New")
    check.visit("admin lead change", f"/admin/leads/lead/{lead.pk}/change/")
    check.visit("admin lead add", "/admin/leads/lead/add/")
    page.get_by_role("button", name="Save", exact=True).click()
    check.check("admin lead add with errors")
    check.visit("admin API keys", "/admin/apikeys/apikey/")
    check.visit("admin users", "/admin/accounts/user/")
    check.visit("admin user change", f"/admin/accounts/user/{rep.pk}/change/")
    check.visit("admin calls", "/admin/calls/calllog/")
    check.visit("admin events", "/admin/events/event/")
    check.visit("admin lead delete", f"/admin/leads/lead/{lead.pk}/delete/")
    check.visit("admin pipelines", "/admin/pipelines/pipeline/")
    check.visit("admin pipeline change", f"/admin/pipelines/pipeline/{sales.pk}/change/")
    check.visit("admin stage change", f"/admin/pipelines/stage/{stage.pk}/change/")

    check.assert_clean()
    assert page_log.outside_requests == []
