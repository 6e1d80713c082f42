"""Tasks in the Django admin go through the task services: the same rules, one event per
change (issue 14)."""

import pytest
from django.urls import reverse

from events.models import Event
from tasks.models import Task
from tests.factories import make_lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(client, admin_user):
    client.force_login(admin_user)
    return client


def task_form(lead, **overrides) -> dict:
    return {"lead": str(lead.pk), "title": "Send the quote", "due_at_0": "2030-01-06",
            "due_at_1": "10:00:00", "notes": "", "assigned_to": "", **overrides}  # fmt: skip


def test_tasks_added_edited_completed_and_deleted_in_the_admin_go_through_the_services(
    browser, admin_user, rep
):
    lead = make_lead(assigned_to=rep)
    assert browser.get(reverse("admin:tasks_task_add")).status_code == 200
    assert browser.post(reverse("admin:tasks_task_add"), task_form(lead)).status_code == 302
    task = Task.objects.get()
    assert task.assigned_to == rep  # the lead's assignee
    assert browser.get(reverse("admin:tasks_task_changelist"), {"q": "quote"}).status_code == 200
    edit = task_form(lead, title="Send the quotation", done="on")
    del edit["lead"]
    response = browser.post(reverse("admin:tasks_task_change", args=[task.pk]), edit)
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.title == "Send the quotation"
    assert task.done_by == admin_user
    response = browser.post(reverse("admin:tasks_task_delete", args=[task.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Task.objects.exists()
    events = Event.objects.filter(subject_id=str(task.pk)).order_by("id")
    assert [(e.verb, e.channel) for e in events] == [
        ("task.created", "admin"), ("task.updated", "admin"), ("task.deleted", "admin"),
    ]  # fmt: skip


def test_an_invalid_task_is_refused_in_the_admin(browser):
    lead = make_lead()
    response = browser.post(reverse("admin:tasks_task_add"), task_form(lead, title="   "))
    assert response.status_code == 200
    assert not Task.objects.exists()
