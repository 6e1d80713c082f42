"""Webhooks in the Django admin: subscriptions are added, edited and deleted through
webhooks.services (the same rules, one event each; the secret shown once after an add or a
rotation); the delivery log, its attempts and the task workers are read-only."""

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from events.models import Event, Verb
from events.services import Actor
from webhooks.models import Attempt, Message, MessageState, Subscription, WorkerHeartbeat
from webhooks.services import webhook_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_urls_allowed(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True


@pytest.fixture
def browser(client, admin_user):
    client.force_login(admin_user)
    return client


def subscribe(user, url="https://127.0.0.1:9/hook"):
    return webhook_create(actor=Actor.system(user), url=url, events=["*"]).subscription


def logged_message(subscription) -> Message:
    message = Message.objects.create(
        subscription=subscription, webhook_id="msg_admin1", event_type="lead.created",
        body="{}", state=MessageState.FAILED, failure_reason="Gave up.",
    )  # fmt: skip
    Attempt.objects.create(message=message, status=503, duration_ms=12, response="busy")
    return message


def test_webhook_models_are_in_the_admin():
    registered = {model._meta.label for model in admin.site._registry}
    assert {"webhooks.Subscription", "webhooks.Message", "webhooks.WorkerHeartbeat"} <= registered


def test_adding_goes_through_the_service_and_shows_the_secret_once(browser, admin_user):
    response = browser.post(
        reverse("admin:webhooks_subscription_add"),
        {"url": "https://127.0.0.1:9/hook", "events": ["lead.created"], "description": "Sync"},
    )
    assert response.status_code == 302
    subscription = Subscription.objects.get()
    assert subscription.owner == admin_user
    assert subscription.events == ["lead.created"]
    event = Event.objects.get(verb=Verb.WEBHOOK_CREATED)
    assert event.channel == "admin"
    assert event.actor == admin_user
    assert event.subject_id == str(subscription.pk)
    assert subscription.secret not in response["Location"]

    shown = browser.get(response["Location"])
    assert shown.status_code == 200
    assert subscription.secret in shown.content.decode()
    again = browser.get(response["Location"], follow=True)
    assert subscription.secret not in again.content.decode()
    change = browser.get(reverse("admin:webhooks_subscription_change", args=[subscription.pk]))
    assert change.status_code == 200
    assert subscription.secret not in change.content.decode()
    assert Subscription.objects.count() == 1


def test_the_admin_refuses_what_the_rules_refuse(browser):
    response = browser.post(
        reverse("admin:webhooks_subscription_add"), {"url": "ftp://x", "events": ["*"]}
    )
    assert response.status_code == 200
    assert "must start with https://" in response.content.decode()
    assert not Subscription.objects.exists()
    assert not Event.objects.exists()


def test_editing_keeps_the_owner_and_is_recorded(browser, admin_user, rep):
    subscription = subscribe(rep)
    response = browser.post(
        reverse("admin:webhooks_subscription_change", args=[subscription.pk]),
        {"url": "https://127.0.0.1:9/new", "events": ["lead.updated"], "description": "",
         "enabled": ""},
    )  # fmt: skip
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.url == "https://127.0.0.1:9/new"
    assert subscription.owner == rep
    assert not subscription.enabled
    assert subscription.disabled_reason == "Disabled by admin@example.com."
    event = Event.objects.get(verb=Verb.WEBHOOK_UPDATED)
    assert event.channel == "admin"


def test_deleting_goes_through_the_service(browser, rep):
    subscription = subscribe(rep)
    response = browser.post(
        reverse("admin:webhooks_subscription_delete", args=[subscription.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Subscription.objects.exists()
    assert Event.objects.filter(verb=Verb.WEBHOOK_DELETED, channel="admin").count() == 1


def test_rotating_in_the_admin_shows_the_new_secret_once(browser, rep):
    subscription = subscribe(rep)
    old = subscription.secret
    response = browser.post(
        reverse("admin:webhooks_subscription_changelist"),
        {"action": "rotate_secret", "_selected_action": [str(subscription.pk)]},
    )
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.secret != old
    assert subscription.secret in browser.get(response["Location"]).content.decode()
    assert Event.objects.filter(verb=Verb.WEBHOOK_SECRET_ROTATED, channel="admin").count() == 1


def test_the_delivery_log_is_read_only(browser, rep):
    subscription = subscribe(rep)
    message = logged_message(subscription)
    changelist = reverse("admin:webhooks_message_changelist")
    page = browser.get(changelist)
    assert page.status_code == 200
    assert "msg_admin1" in page.content.decode()
    assert browser.get(changelist, {"state": "failed"}).status_code == 200
    assert browser.get(changelist, {"event_type": "lead.created"}).status_code == 200
    detail = browser.get(reverse("admin:webhooks_message_change", args=[message.pk]))
    assert detail.status_code == 200
    assert "busy" in detail.content.decode()  # the attempts, inline
    assert browser.get(reverse("admin:webhooks_message_add")).status_code == 403
    response = browser.post(
        reverse("admin:webhooks_message_change", args=[message.pk]), {"state": "delivered"}
    )
    assert response.status_code == 403
    response = browser.post(
        reverse("admin:webhooks_message_delete", args=[message.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    message.refresh_from_db()
    assert message.state == MessageState.FAILED
    model_admin = admin.site._registry[Message]
    request = page.wsgi_request
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, message)
    assert not model_admin.has_delete_permission(request, message)


def test_task_workers_are_listed_read_only(browser):
    WorkerHeartbeat.objects.create(worker_id="w1", host="box", pid=42, seen_at=timezone.now())
    page = browser.get(reverse("admin:webhooks_workerheartbeat_changelist"))
    assert page.status_code == 200
    assert "box" in page.content.decode()
    assert browser.get(reverse("admin:webhooks_workerheartbeat_add")).status_code == 403
    model_admin = admin.site._registry[WorkerHeartbeat]
    assert not model_admin.has_delete_permission(page.wsgi_request)
