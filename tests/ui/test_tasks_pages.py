"""Tasks in the pages (issue 14): Today leads with the rep's overdue and due-today tasks, done
and snoozed in one click; a lead's page has a tasks panel (add, edit, done); a call is logged
straight from Today and from the calls list; a missed inbound call logged on a page makes a
call-back task."""

import datetime as dt
import html
import re

import pytest
from django.utils import timezone

from calls.models import CallLog
from events.models import Event
from events.services import Actor
from leads.rules import LEAD_NOT_VISIBLE
from tasks.models import Task
from tasks.services import task_create
from tests.factories import make_lead

from .helpers import messages_shown

pytestmark = pytest.mark.django_db


def add_task(user, lead, title="Send the quote", due=None, **fields):
    due = due or timezone.now() + dt.timedelta(hours=1)
    return task_create(
        actor=Actor.system(user), lead_id=lead.pk, fields={"title": title, "due_at": due, **fields}
    )


def today_task_titles(response) -> list[str]:
    section = response.content.decode().split('id="tasks"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'<span class="task-title"><strong>(.*?)</strong>', section)


@pytest.fixture
def lead(rep):
    return make_lead(name="Asha Verma", phone="+919800001111", assigned_to=rep)


def test_today_lists_my_overdue_and_due_today_tasks_overdue_first(rep_client, rep, other_rep, lead):
    now = timezone.now()
    add_task(rep, lead, "In an hour")  # (may fall tomorrow, IST: not asserted)
    add_task(rep, lead, "Overdue", now - dt.timedelta(days=2))
    add_task(rep, lead, "Next week", now + dt.timedelta(days=7))
    theirs = make_lead(assigned_to=other_rep)
    add_task(other_rep, theirs, "Not mine", now - dt.timedelta(hours=1))
    done = add_task(rep, lead, "Done already", now - dt.timedelta(hours=3))
    Task.objects.filter(pk=done.pk).update(done_at=now)

    response = rep_client.get("/")
    titles = today_task_titles(response)
    assert titles[0] == "Overdue"
    assert not {"Not mine", "Next week", "Done already"} & set(titles)
    page = response.content.decode()
    assert "1 overdue" in page


def test_done_in_one_click_from_today(rep_client, rep, lead):
    task = add_task(rep, lead, "Call about the quote", timezone.now() - dt.timedelta(minutes=5))
    response = rep_client.post(f"/tasks/{task.pk}/done/", {"next": "/"}, follow=True)
    assert response.redirect_chain == [("/", 302)]
    assert messages_shown(response) == ["“Call about the quote” done."]
    task.refresh_from_db()
    assert task.done_at is not None
    assert task.done_by == rep
    assert today_task_titles(response) == []
    assert Event.objects.filter(
        verb="task.updated", subject_id=str(task.pk), channel="web"
    ).exists()


def test_snooze_an_hour_or_to_tomorrow_morning(rep_client, rep, lead):
    task = add_task(rep, lead, "Snooze me", timezone.now() - dt.timedelta(hours=2))
    before = timezone.now()
    rep_client.post(f"/tasks/{task.pk}/snooze/", {"until": "hour", "next": "/"})
    task.refresh_from_db()
    assert before + dt.timedelta(minutes=59) < task.due_at < before + dt.timedelta(minutes=61)
    rep_client.post(f"/tasks/{task.pk}/snooze/", {"until": "tomorrow", "next": "/"})
    task.refresh_from_db()
    ist = task.due_at.astimezone(dt.timezone(dt.timedelta(hours=5, minutes=30)))
    today_ist = timezone.now().astimezone(ist.tzinfo).date()
    assert (ist.date(), ist.hour, ist.minute) == (today_ist + dt.timedelta(days=1), 10, 0)


def test_a_bad_snooze_changes_nothing(rep_client, rep, lead):
    task = add_task(rep, lead)
    due = task.due_at
    response = rep_client.post(f"/tasks/{task.pk}/snooze/", {"until": "forever"}, follow=True)
    assert messages_shown(response) == ["Choose how long to snooze the task."]
    task.refresh_from_db()
    assert task.due_at == due


def test_the_lead_page_adds_lists_edits_and_completes_tasks(rep_client, rep, lead):
    response = rep_client.post(
        f"/leads/{lead.pk}/tasks/",
        {"title": "Send brochure", "due_at": "2030-01-06T10:00", "notes": "PDF"},
        follow=True,
    )
    assert response.redirect_chain == [(f"/leads/{lead.pk}/#tasks", 302)]
    task = Task.objects.get()
    assert (task.title, task.assigned_to, task.notes) == ("Send brochure", rep, "PDF")
    assert task.due_at == dt.datetime(2030, 1, 6, 4, 30, tzinfo=dt.UTC)  # typed in IST
    assert "Send brochure" in response.content.decode()

    page = rep_client.get(f"/tasks/{task.pk}/edit/?next=/leads/{lead.pk}/")
    assert page.status_code == 200
    response = rep_client.post(
        f"/tasks/{task.pk}/edit/",
        {"title": "Send the brochure", "due_at": "2030-01-07T11:00", "notes": "",
         "next": f"/leads/{lead.pk}/"},
    )  # fmt: skip
    assert (response.status_code, response["Location"]) == (302, f"/leads/{lead.pk}/")
    task.refresh_from_db()
    assert (task.title, task.notes) == ("Send the brochure", None)

    rep_client.post(f"/tasks/{task.pk}/done/", {"next": f"/leads/{lead.pk}/"})
    page = rep_client.get(f"/leads/{lead.pk}/").content.decode()
    assert "No open tasks." in page
    assert "Recently done (1)" in page


def test_a_task_form_with_errors_says_so_and_adds_nothing(rep_client, lead):
    response = rep_client.post(f"/leads/{lead.pk}/tasks/", {"title": "", "due_at": "soon"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "This field is required." in page
    assert "Enter a valid date/time." in page
    assert not Task.objects.exists()


def test_a_rep_cannot_see_or_touch_another_reps_task(rep_client, other_rep):
    theirs = make_lead(assigned_to=other_rep)
    task = add_task(other_rep, theirs)
    assert rep_client.get(f"/tasks/{task.pk}/edit/").status_code == 404
    assert rep_client.post(f"/tasks/{task.pk}/done/").status_code == 404
    assert rep_client.post(f"/tasks/{task.pk}/delete/").status_code == 404
    assert rep_client.post(f"/leads/{theirs.pk}/tasks/", {"title": "x"}).status_code == 404
    task.refresh_from_db()
    assert task.done_at is None


def test_next_never_leaves_the_site(rep_client, rep, lead):
    task = add_task(rep, lead)
    response = rep_client.post(f"/tasks/{task.pk}/done/", {"next": "https://evil.example/"})
    assert response["Location"] == f"/leads/{lead.pk}/#tasks"
    page = rep_client.get(f"/tasks/{task.pk}/edit/?next=javascript:alert(1)").content.decode()
    assert "javascript:" not in page


def test_delete_a_task(rep_client, rep, lead):
    task = add_task(rep, lead)
    response = rep_client.post(f"/tasks/{task.pk}/delete/")
    assert response["Location"] == f"/leads/{lead.pk}/#tasks"
    assert not Task.objects.exists()


def test_log_a_call_from_today_on_a_tasks_lead(rep_client, rep, lead):
    add_task(rep, lead, "Call back", timezone.now() - dt.timedelta(minutes=1))
    page = rep_client.get("/").content.decode()
    assert f'name="lead_id" value="{lead.pk}"' in page
    response = rep_client.post(
        "/calls/log/",
        {"lead_id": str(lead.pk), "call_type": "Outbound", "duration": "1:30", "next": "/"},
        follow=True,
    )
    assert response.redirect_chain == [("/", 302)]
    assert messages_shown(response) == ["Call logged for Asha Verma: outbound, 1m 30s, Completed."]
    call = CallLog.objects.get()
    assert (call.lead_id, call.duration_seconds, call.outcome) == (lead.pk, 90, "Completed")


def test_log_a_call_from_the_calls_list_by_phone(rep_client, lead):
    page = rep_client.get("/calls/").content.decode()
    assert 'action="/calls/log/"' in page
    response = rep_client.post(
        "/calls/log/",
        {"phone": "098000 01111", "call_type": "Inbound", "duration": "0", "next": "/calls/"},
        follow=True,
    )
    assert response.redirect_chain == [("/calls/", 302)]
    call = CallLog.objects.get()
    assert (call.lead_id, call.outcome) == (lead.pk, "Missed")
    # A missed inbound call logged on a page makes a call-back task too.
    (task,) = Task.objects.all()
    assert (task.kind, task.lead_id) == ("call_back", lead.pk)


def test_a_quick_call_without_a_number_or_duration_is_refused(rep_client):
    response = rep_client.post("/calls/log/", {"call_type": "Inbound", "next": "/calls/"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter the number you called or that called you." in page
    assert not CallLog.objects.exists()


def test_a_quick_call_on_an_invisible_lead_is_refused(rep_client, other_rep):
    theirs = make_lead(assigned_to=other_rep)
    response = rep_client.post(
        "/calls/log/", {"lead_id": str(theirs.pk), "call_type": "Inbound", "duration": "5"}
    )
    assert response.status_code == 400
    assert not CallLog.objects.exists()
    # The page says why (the lead is not a field the rep could correct).
    assert LEAD_NOT_VISIBLE in html.unescape(response.content.decode())


def test_the_lead_timeline_says_what_happened_to_its_tasks(rep_client, rep, lead):
    task = add_task(rep, lead, "Send brochure", dt.datetime(2030, 1, 6, 4, 30, tzinfo=dt.UTC))
    rep_client.post(f"/tasks/{task.pk}/edit/", {"title": "Send the brochure",
                                                "due_at": "2030-01-06T10:00"})  # fmt: skip
    rep_client.post(f"/tasks/{task.pk}/done/")
    page = rep_client.get(f"/leads/{lead.pk}/").content.decode()
    timeline = page.split('id="timeline-entries"', 1)[1]
    assert "Task added" in timeline
    assert "“Send brochure” for rep@example.com, due 6 Jan 2030, 10:00 IST." in timeline
    assert "Task edited" in timeline
    assert "title Send brochure → Send the brochure" in timeline
    assert "Task done" in timeline


def test_a_task_on_a_lead_the_rep_cannot_see_does_not_show_that_lead(
    rep_client, rep, other_rep, admin_user
):
    theirs = make_lead(name="Secret Lead", phone="+919800009999", assigned_to=other_rep)
    # Overdue, so on Today at any hour (due in an hour falls tomorrow after 23:00 IST).
    due = timezone.now() - dt.timedelta(minutes=1)
    add_task(admin_user, theirs, "Help a colleague", due, assigned_to=rep)
    page = rep_client.get("/").content.decode()
    assert "Help a colleague" in page
    assert "Secret Lead" not in page
    assert "+919800009999" not in page
