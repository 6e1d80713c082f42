"""A rep's day in a real browser (headless Chromium against the live server), issue 14: Today
leads with overdue and due-today tasks, done and snoozed in one click; a call logged straight
from Today's task row (which closes the lead's call-back) and from the calls list by number;
a task added on a lead's page. axe-core audits each page (no serious or critical violation)
at desktop and phone width, and nothing is fetched from elsewhere."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from calls.models import CallLog
from calls.services import call_log
from events.models import Channel
from events.services import Actor
from tasks.models import Task
from tasks.services import task_create
from tests.factories import make_lead

from .helpers import DESKTOP, PHONE
from .test_browser_axe_all_pages import Audit

pytestmark = pytest.mark.browser

VIEWPORTS = [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")]


@pytest.fixture
def day(rep):
    """An overdue follow-up, a call-back made by a missed call, and tomorrow's task."""
    actor = Actor(user=rep, channel=Channel.WEB)
    asha = make_lead(name="Asha Verma", phone="+919800001111", assigned_to=rep)
    ravi = make_lead(name="Ravi Kumar", phone="+919800002222", assigned_to=rep)
    now = timezone.now()
    overdue = task_create(
        actor=actor,
        lead_id=asha.pk,
        fields={"title": "Send the revised quote", "due_at": now - dt.timedelta(hours=3)},
    )
    call_log(actor=actor, lead_id=ravi.pk, call_type="Inbound", duration_seconds=0)
    call_back = Task.objects.get(lead=ravi, kind="call_back")
    Task.objects.filter(pk=call_back.pk).update(due_at=now - dt.timedelta(minutes=1))
    task_create(
        actor=actor,
        lead_id=asha.pk,
        fields={"title": "Next week's demo", "due_at": now + dt.timedelta(days=7)},
    )
    return {"asha": asha, "ravi": ravi, "overdue": overdue, "call_back": call_back}


def row(page, title: str):
    return page.locator("#tasks .task-row", has_text=title)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_today_tasks_done_and_snoozed_in_one_click(page, page_log, login_as, rep, day, viewport):
    page.set_viewport_size(viewport)
    audit = Audit(page, viewport)
    login_as(rep)
    page.goto("/")
    tasks = page.locator("#tasks")
    expect(tasks.get_by_role("heading", name="My tasks due today")).to_be_visible()
    expect(tasks).to_contain_text("2 overdue")
    expect(row(page, "Send the revised quote")).to_contain_text("Overdue")
    expect(row(page, "Call back")).to_contain_text("Ravi Kumar")
    expect(tasks).not_to_contain_text("Next week's demo")
    audit.check("Today with tasks")

    row(page, "Send the revised quote").get_by_role("button", name="Done").click()
    expect(page.locator(".message")).to_have_text("“Send the revised quote” done.")
    expect(row(page, "Send the revised quote")).to_have_count(0)
    assert Task.objects.get(pk=day["overdue"].pk).done_by == rep

    row(page, "Call back").get_by_role("button", name="Tomorrow").click()
    expect(page.locator(".message")).to_contain_text("snoozed until")
    expect(row(page, "Call back")).to_have_count(0)
    expect(page.locator("#tasks .empty-note")).to_be_visible()
    assert Task.objects.get(pk=day["call_back"].pk).due_at > timezone.now() + dt.timedelta(hours=1)
    audit.check("Today, every task handled")
    audit.assert_clean()
    assert page_log.outside_requests == []


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_log_a_call_from_todays_row_closes_the_call_back(
    page, page_log, login_as, rep, day, viewport
):
    page.set_viewport_size(viewport)
    audit = Audit(page, viewport)
    login_as(rep)
    page.goto("/")
    call_back = row(page, "Call back")
    call_back.locator("summary", has_text="Log a call").click()
    form = call_back.locator("form", has=page.get_by_role("button", name="Log call"))
    form.get_by_label(re.compile(r"^Type")).select_option("Outbound")
    form.get_by_label(re.compile(r"^Duration")).fill("2:10")
    form.get_by_label(re.compile(r"^Outcome")).select_option("Completed")
    audit.check("Today, logging a call")
    form.get_by_role("button", name="Log call").click()
    expect(page.locator(".message")).to_have_text(
        "Call logged for Ravi Kumar: outbound, 2m 10s, Completed."
    )
    expect(page).to_have_url(re.compile(r"/$"))
    assert page.url.endswith("/")
    call = CallLog.objects.get(outcome="Completed")
    assert (call.lead_id, call.duration_seconds) == (day["ravi"].pk, 130)
    assert Task.objects.get(pk=day["call_back"].pk).done_at is not None
    expect(row(page, "Call back")).to_have_count(0)
    audit.assert_clean()
    assert page_log.outside_requests == []


def test_log_a_call_from_the_calls_list_by_number(page, page_log, login_as, rep, day):
    audit = Audit(page, DESKTOP)
    login_as(rep)
    page.goto("/calls/")
    card = page.locator("#log-call")
    card.locator("summary", has_text="Log a call").click()
    card.get_by_label(re.compile(r"^Phone number")).fill("098000 01111")
    card.get_by_label(re.compile(r"^Type")).select_option("Inbound")
    card.get_by_label(re.compile(r"^Duration")).fill("45")
    audit.check("calls, logging a call")
    card.get_by_role("button", name="Log call").click()
    expect(page.locator(".message")).to_have_text(
        "Call logged for Asha Verma: inbound, 45s, Completed."
    )
    expect(page.locator("main")).to_contain_text("Asha Verma")
    audit.assert_clean()


def test_add_a_task_on_the_lead_page(page, page_log, login_as, rep, day):
    audit = Audit(page, DESKTOP)
    login_as(rep)
    page.goto(f"/leads/{day['asha'].pk}/")
    panel = page.locator("#tasks")
    expect(panel).to_contain_text("Send the revised quote")
    audit.check("lead page with tasks")
    panel.locator("summary", has_text="Add a task").click()
    panel.get_by_label(re.compile(r"^Title")).fill("Call the CFO")
    panel.get_by_label(re.compile(r"^Due")).fill("2030-01-06T10:00")
    panel.get_by_role("button", name="Add task").click()
    expect(page.locator(".message")).to_have_text("Task added.")
    expect(page.locator("#tasks")).to_contain_text("Call the CFO")
    task = Task.objects.get(title="Call the CFO")
    assert task.due_at == dt.datetime(2030, 1, 6, 4, 30, tzinfo=dt.UTC)
    page.locator("#tasks .task-row", has_text="Call the CFO").get_by_role(
        "link", name="Edit"
    ).click()
    expect(page.get_by_role("heading", name="Edit task")).to_be_visible()
    audit.check("task edit")
    audit.assert_clean()
    assert page_log.outside_requests == []
