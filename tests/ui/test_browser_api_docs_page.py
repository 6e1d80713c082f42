"""/api/docs/ (Swagger UI) is a page of the app like the others: it names its language, passes
axe (no serious or critical violation, colour contrast included) and has a visible link back
to the app, all under the Content-Security-Policy (no inline script or style, nothing from a
CDN)."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from .helpers import DESKTOP, PHONE

pytestmark = pytest.mark.browser


def serious(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{violation['id']}: {violation['help']} at "
        + ", ".join(" ".join(node["target"]) for node in violation["nodes"][:4])
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_api_docs_page_has_a_language_passes_axe_and_leads_back(
    page, page_log, login_as, rep, viewport
):
    csp_errors = []
    page.on(
        "console",
        lambda message: (
            csp_errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    login_as(rep)
    page.set_viewport_size(viewport)
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()

    assert page.locator("html").get_attribute("lang") == "en"
    assert serious(page) == []

    back = page.get_by_role("link", name="Back to LeadCRM")
    expect(back).to_be_visible()
    box = back.bounding_box()
    assert box is not None
    assert box["y"] < viewport["height"]  # at the top, not below the fold
    back.click()
    page.wait_for_url("**/")
    expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()
    assert csp_errors == []
    assert page_log.outside_requests == []
