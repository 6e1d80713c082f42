"""What a rep does in a real browser (headless Chromium against the live server)."""

import re

import pytest
from playwright.sync_api import expect

from calls.models import CallLog
from leads.models import Lead
from tests.factories import make_lead

pytestmark = pytest.mark.browser

XSS_NAME = "<script>alert(1)</script>"
XSS_COMPANY = "<img src=x onerror=alert(2)>"


def test_log_in_and_out(page, page_log, rep):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    page.get_by_label("Email address").fill("rep@example.com")
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()
    expect(page.locator(".nav-user")).to_have_text("rep@example.com")
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login/$"))
    page.goto("/leads/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/leads/$"))
    assert page_log.outside_requests == []


def test_a_wrong_password_is_shown_on_the_login_page(page, rep):
    page.goto("/login/")
    page.get_by_label("Email address").fill("rep@example.com")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("Please enter a correct email address")


def field(scope, label: str):
    """The input labelled exactly `label` (a required field's label ends in " *")."""
    return scope.get_by_label(re.compile(rf"^{re.escape(label)}( \*)?$"))


def fill_lead_form(page, **values):
    for label, value in values.items():
        input_ = field(page, label)
        if input_.evaluate("element => element.tagName") == "SELECT":
            input_.select_option(value)
        else:
            input_.fill(value)


def test_create_a_lead(page, login_as, rep):
    login_as(rep)
    page.goto("/leads/")
    page.get_by_role("link", name="+ New lead").click()
    fill_lead_form(page, Name="Ananya Reddy", Phone="98450 12345", Email="ananya@example.com",
                   Company="Kaveri Textiles", City="Hyderabad", Source="Referral",
                   Priority="High", Tags="hot, enterprise")  # fmt: skip
    fill_lead_form(page, **{"Deal value (INR)": "450000"})
    page.get_by_role("button", name="Create lead").click()
    expect(page.get_by_role("heading", name="Ananya Reddy")).to_be_visible()
    expect(page.locator(".message")).to_have_text("Created lead “Ananya Reddy”.")
    expect(page.locator(".lead-head")).to_contain_text("High priority")
    expect(page.locator("#details")).to_contain_text("₹4,50,000")
    lead = Lead.objects.get()
    assert page.url.endswith(f"/leads/{lead.pk}/")
    assert (lead.phone_e164, lead.assigned_to) == ("+919845012345", rep)
    assert lead.tags == ["hot", "enterprise"]


def test_errors_show_next_to_the_field(page, login_as, rep):
    login_as(rep)
    page.goto("/leads/new/")
    fill_lead_form(page, Name="No contact", Source="Referral")
    page.get_by_role("button", name="Create lead").click()
    phone_field = page.locator(".field", has=field(page, "Phone"))
    expect(phone_field.locator(".field-error")).to_have_text(
        "Provide a phone or an email (or both)."
    )
    assert not Lead.objects.exists()


def test_a_duplicate_shows_the_existing_lead_and_merges_only_when_asked(page, login_as, rep):
    existing = make_lead(name="Rahul Verma", phone="+91 99887 76655", tags=["vip"],
                         status="Qualified", assigned_to=rep)  # fmt: skip
    login_as(rep)
    page.goto("/leads/new/")
    fill_lead_form(page, Name="Rahul V", Phone="099887-76655", Source="IVR", Tags="callback")
    page.get_by_role("button", name="Create lead").click()
    duplicate = page.locator("#duplicate-lead")
    expect(duplicate).to_contain_text("This lead already exists")
    expect(duplicate.get_by_role("link", name="Open Rahul Verma")).to_have_attribute(
        "href", f"/leads/{existing.pk}/"
    )
    existing.refresh_from_db()
    assert (existing.name, existing.tags) == ("Rahul Verma", ["vip"])  # nothing changed yet
    duplicate.get_by_role("button", name="Merge my details into it").click()
    expect(page.locator(".message")).to_contain_text("Merged your details into “Rahul V”")
    assert page.url.endswith(f"/leads/{existing.pk}/")
    expect(page.locator(".lead-head .tag")).to_have_text(["vip", "callback"])
    expect(page.locator("#lead-status")).to_have_text("Qualified")
    assert Lead.objects.count() == 1


def test_log_a_call_and_see_it_on_the_timeline(page, login_as, rep):
    lead = make_lead(name="Kavya Nair", assigned_to=rep)
    login_as(rep)
    page.goto(f"/leads/{lead.pk}/")
    form = page.locator("#log-call")
    field(form, "Type").select_option("Inbound")
    field(form, "Duration").fill("0")
    field(form, "Notes").fill("Rang twice, no answer")
    form.get_by_role("button", name="Log call").click()
    expect(page.locator(".message")).to_have_text("Call logged: inbound, 0s, Missed.")
    # The missed call, and above it the call-back task it made (issue 14).
    entries = page.locator("#timeline-entries li")
    expect(entries.first).to_contain_text("Task added")
    expect(entries.first).to_contain_text("“Call back”")
    call = entries.nth(1)
    expect(call).to_contain_text("Inbound call")
    expect(call.locator(".badge")).to_have_text("Missed")
    expect(call).to_contain_text("Rang twice, no answer")
    expect(page.locator("#tasks")).to_contain_text("Call back")
    assert CallLog.objects.get(lead=lead).outcome == "Missed"
    # The note and stage quick actions, by keyboard.
    field(page, "Note").fill("Call back after 5 pm")
    field(page, "Note").press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator(".message")).to_have_text("Note added.")
    expect(page.locator("#timeline-entries li").first).to_contain_text("Call back after 5 pm")
    field(page, "Move to").select_option("Contacted")
    page.get_by_role("button", name="Move", exact=True).click()
    expect(page.locator("#lead-status")).to_have_text("Contacted")


def test_filter_and_search_the_list(page, login_as, rep):
    make_lead(name="Asha Sharma", phone="+91 98765 43210", status="New", source="IVR",
              assigned_to=rep)  # fmt: skip
    make_lead(name="Rahul Verma", company="Verma Traders", status="Won", source="Website",
              assigned_to=rep)  # fmt: skip
    make_lead(name="Priya Iyer", email="priya@nimbus.io", status="New", source="Website",
              assigned_to=rep)  # fmt: skip
    login_as(rep)
    page.goto("/leads/")
    names = page.locator("#leads .lead-link")
    expect(names).to_have_count(3)
    # "/" jumps to the search box; Enter submits.
    page.locator("body").press("/")
    search = page.get_by_label("Search")
    expect(search).to_be_focused()
    search.fill("098765 43210")
    search.press("Enter")
    expect(names).to_have_text(["Asha Sharma"])
    search.fill("")
    field(page, "Status").select_option("New")
    field(page, "Source").select_option("Website")
    page.get_by_role("button", name="Apply").click()
    expect(names).to_have_text(["Priya Iyer"])
    expect(page.locator("#result-count")).to_have_text("1 lead matches the filters")
    page.get_by_role("link", name="Clear").click()
    expect(names).to_have_count(3)
    page.get_by_role("link", name=re.compile("^Name")).click()
    expect(names).to_have_text(["Asha Sharma", "Priya Iyer", "Rahul Verma"])


def test_delete_a_lead(page, login_as, rep):
    lead = make_lead(name="Meera Khan", assigned_to=rep)
    login_as(rep)
    page.goto(f"/leads/{lead.pk}/")
    page.get_by_role("link", name="Delete").click()
    expect(page.get_by_role("heading", name="Delete “Meera Khan”?")).to_be_visible()
    expect(page.locator("main")).to_contain_text("This is permanent and cannot be undone.")
    page.get_by_role("button", name="Delete permanently").click()
    expect(page.locator(".message")).to_have_text("Deleted lead “Meera Khan” permanently.")
    expect(page).to_have_url(re.compile(r"/leads/$"))
    assert not Lead.objects.exists()


def test_a_rep_does_not_see_another_reps_lead(page, login_as, rep, other_rep):
    make_lead(name="Ravi's Lead", assigned_to=rep)
    theirs = make_lead(name="Sara's Lead", assigned_to=other_rep)
    login_as(rep)
    page.goto("/leads/")
    expect(page.locator("#leads .lead-link")).to_have_text(["Ravi's Lead"])
    page.get_by_label("Search").fill("Sara")
    page.get_by_label("Search").press("Enter")
    expect(page.locator("#no-leads")).to_be_visible()
    response = page.goto(f"/leads/{theirs.pk}/")
    assert response.status == 404
    assert "Sara's Lead" not in page.content()


def test_markup_in_a_lead_is_shown_as_text_and_never_runs(page, page_log, login_as, rep):
    login_as(rep)
    page.goto("/leads/new/")
    fill_lead_form(page, Name=XSS_NAME, Phone="+91 91234 56789", Company=XSS_COMPANY,
                   Source=XSS_NAME, Tags=XSS_NAME)  # fmt: skip
    page.get_by_role("button", name="Create lead").click()
    expect(page.locator("#lead-name")).to_have_text(XSS_NAME)
    expect(page.locator(".message")).to_have_text(f"Created lead “{XSS_NAME}”.")
    expect(page.locator("#details")).to_contain_text(XSS_COMPANY)
    for path in ["/leads/", f"/leads/?q={XSS_NAME}", "/"]:
        page.goto(path)
        expect(page.locator("main")).to_contain_text(XSS_NAME)
    assert page.locator("main script").count() == 0
    assert page.locator("main img").count() == 0
    assert page_log.dialogs == []


def test_every_page_is_served_by_the_app_alone(page, page_log, login_as, admin_user):
    lead = make_lead(name="Asha", assigned_to=admin_user)
    login_as(admin_user)
    for path in ["/", "/leads/", f"/leads/{lead.pk}/", "/leads/new/", f"/leads/{lead.pk}/edit/",
                 f"/leads/{lead.pk}/delete/", "/calls/", "/settings/integrations/api/",
                 "/settings/integrations/api/new/", "/api/docs/"]:  # fmt: skip
        response = page.goto(path)
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")
    assert page_log.outside_requests == []
    assert page_log.dialogs == []


@pytest.mark.parametrize("path", ["/", "/leads/", "/lead", "/leads/new/", "/calls/"])
def test_pages_fit_a_phone_screen(page, login_as, rep, path):
    lead = make_lead(name="Siddharth Venkataraman", email="siddharth.venkataraman@example.com",
                     company="Green Leaf Foods", tags=["enterprise", "callback", "referral"],
                     assigned_to=rep)  # fmt: skip
    login_as(rep)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/leads/{lead.pk}/" if path == "/lead" else path)
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= 390, f"{path} is {overflow}px wide on a 390px screen"


UNLABELLED_INPUTS = """() => [...document.querySelectorAll(
    'input:not([type=hidden]), select, textarea, button'
)].filter(el => !(el.labels?.length || el.getAttribute('aria-label') || (
    el.tagName === 'BUTTON' && el.textContent.trim()
))).map(el => el.outerHTML)"""


def test_every_input_has_a_label(page, login_as, admin_user):
    lead = make_lead(name="Asha", assigned_to=admin_user)
    login_as(admin_user)
    pages = ["/", "/leads/", f"/leads/{lead.pk}/", "/leads/new/", f"/leads/{lead.pk}/edit/",
             f"/leads/{lead.pk}/delete/", "/calls/", "/settings/integrations/api/new/"]  # fmt: skip
    for path in pages:
        page.goto(path)
        assert page.evaluate(UNLABELLED_INPUTS) == [], path
    page.context.clear_cookies()
    page.goto("/login/")
    assert page.evaluate(UNLABELLED_INPUTS) == []
