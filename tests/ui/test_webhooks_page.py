"""Settings → Integrations → Webhooks: a rep manages their own subscriptions, an admin every
one; a secret is shown once, a reload neither repeats it nor makes a second subscription; every
write goes through webhooks.services, whose refusals show on the form."""

import datetime as dt

import pytest
from django.utils import timezone

from events.models import Event, Verb
from events.services import Actor
from webhooks.models import Attempt, Message, MessageState, Subscription
from webhooks.services import webhook_create

from .helpers import field_errors, messages_shown

pytestmark = pytest.mark.django_db

BASE = "/settings/integrations/webhooks/"


@pytest.fixture(autouse=True)
def _private_urls_allowed(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True


def subscribe(user, url="https://127.0.0.1:9/hook", events=("*",), description=""):
    return webhook_create(
        actor=Actor.system(user), url=url, events=list(events), description=description
    ).subscription


def delivery(subscription, *, state=MessageState.DELIVERED, event_type="lead.created", **fields):
    message = Message.objects.create(
        subscription=subscription,
        webhook_id=f"msg_{Message.objects.count() + 1:04d}{event_type.replace('.', '')}",
        event_type=event_type,
        body="{}",
        state=state,
        next_attempt_at=timezone.now() if state == MessageState.PENDING else None,
        **fields,
    )
    return message


def test_a_rep_sees_only_their_own_webhooks(rep_client, rep, other_rep):
    subscribe(rep, url="https://127.0.0.1:9/mine")
    theirs = subscribe(other_rep, url="https://127.0.0.1:9/theirs")
    page = rep_client.get(BASE).content.decode()
    assert "/mine" in page
    assert "/theirs" not in page
    assert "rep2@example.com" not in page  # no owner column for a rep
    for suffix in ("edit/", "deliveries/", "delete/", "rotate-secret/"):
        assert rep_client.get(f"{BASE}{theirs.pk}/{suffix}").status_code == 404
    assert rep_client.post(f"{BASE}{theirs.pk}/test/").status_code == 404
    assert not Message.objects.exists()


def test_an_admin_sees_all_and_editing_keeps_the_owner(admin_client, admin_user, other_rep):
    theirs = subscribe(other_rep, url="https://127.0.0.1:9/theirs")
    page = admin_client.get(BASE).content.decode()
    assert "/theirs" in page
    assert "rep2@example.com" in page  # the owner column
    response = admin_client.post(
        f"{BASE}{theirs.pk}/edit/",
        {"url": "https://127.0.0.1:9/changed", "events": ["lead.created", "lead.updated"],
         "description": "CRM sync", "enabled": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    theirs.refresh_from_db()
    assert theirs.url == "https://127.0.0.1:9/changed"
    assert theirs.events == ["lead.created", "lead.updated"]
    assert theirs.owner == other_rep
    event = Event.objects.get(verb=Verb.WEBHOOK_UPDATED)
    assert event.actor == admin_user
    assert event.channel == "web"


def test_creating_shows_the_secret_once_and_a_reload_makes_nothing_more(rep_client, rep):
    response = rep_client.post(
        f"{BASE}new/",
        {"url": "https://127.0.0.1:9/hook", "events": ["lead.created"], "description": "Sync"},
    )
    assert response.status_code == 302
    subscription = Subscription.objects.get()
    assert response["Location"] == f"{BASE}{subscription.pk}/secret/"
    assert subscription.secret not in response["Location"]
    assert subscription.owner == rep
    assert Event.objects.filter(verb=Verb.WEBHOOK_CREATED, channel="web").count() == 1

    shown = rep_client.get(response["Location"])
    assert shown.status_code == 200
    assert subscription.secret in shown.content.decode()
    assert "no-store" in shown["Cache-Control"]

    reload = rep_client.get(response["Location"], follow=True)
    assert subscription.secret not in reload.content.decode()
    assert any("shown once" in message for message in messages_shown(reload))
    assert Subscription.objects.count() == 1
    listed = rep_client.get(BASE).content.decode()
    assert "https://127.0.0.1:9/hook" in listed
    assert subscription.secret not in listed


def test_all_events_ticked_means_every_event(rep_client):
    rep_client.post(
        f"{BASE}new/", {"url": "https://127.0.0.1:9/h", "events": ["*", "lead.created"]}
    )
    assert Subscription.objects.get().events == ["*"]


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"url": "ftp://x", "events": ["*"]}, "url", "must start with https://"),
        ({"url": "https://user:pw@127.0.0.1/", "events": ["*"]}, "url", "Credentials"),
        ({"url": "https://127.0.0.1:9/", "events": []}, "events", "Pick at least one event"),
        ({"url": "https://127.0.0.1:9/", "events": ["lead.exploded"]}, "events", "valid choice"),
    ],
)
def test_refusals_show_on_the_form_not_as_an_error_page(rep_client, data, field, words):
    response = rep_client.post(f"{BASE}new/", data)
    assert response.status_code == 400  # the form again, as every form here answers a refusal
    page = response.content.decode()
    if field == "url":
        assert any(words in error for error in field_errors(response)["url"])
    else:
        assert words in page.split('id="events-errors"')[1].split("</fieldset>")[0]
    assert not Subscription.objects.exists()


def test_the_ssrf_guard_refuses_private_addresses_on_the_form(rep_client, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    response = rep_client.post(f"{BASE}new/", {"url": "http://127.0.0.1/", "events": ["*"]})
    assert response.status_code == 400
    assert "loopback" in " ".join(field_errors(response)["url"])


def test_re_enable_clears_the_reason(rep_client, rep):
    subscription = subscribe(rep)
    Subscription.objects.filter(pk=subscription.pk).update(
        enabled=False, disabled_reason="The endpoint answered 410 Gone."
    )
    page = rep_client.get(BASE).content.decode()
    assert "The endpoint answered 410 Gone." in page
    assert "Re-enable" in page
    assert rep_client.get(f"{BASE}{subscription.pk}/enable/").status_code == 405
    response = rep_client.post(f"{BASE}{subscription.pk}/enable/", follow=True)
    assert any("Re-enabled" in message for message in messages_shown(response))
    subscription.refresh_from_db()
    assert subscription.enabled
    assert subscription.disabled_reason == ""
    assert Event.objects.filter(verb=Verb.WEBHOOK_UPDATED).count() == 1


def test_rotating_asks_first_then_shows_the_new_secret_once(rep_client, rep):
    subscription = subscribe(rep)
    old_secret = subscription.secret
    confirm = rep_client.get(f"{BASE}{subscription.pk}/rotate-secret/")
    assert confirm.status_code == 200
    assert "24 hours" in confirm.content.decode()
    subscription.refresh_from_db()
    assert subscription.secret == old_secret  # a GET changes nothing

    response = rep_client.post(f"{BASE}{subscription.pk}/rotate-secret/")
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.secret != old_secret
    assert subscription.previous_secret == old_secret
    shown = rep_client.get(response["Location"]).content.decode()
    assert subscription.secret in shown
    assert "New secret" in shown
    assert (
        subscription.secret
        not in rep_client.get(response["Location"], follow=True).content.decode()
    )
    assert Event.objects.filter(verb=Verb.WEBHOOK_SECRET_ROTATED).count() == 1


def test_a_test_ping_queues_a_ping_message(rep_client, rep):
    subscription = subscribe(rep)
    assert rep_client.get(f"{BASE}{subscription.pk}/test/").status_code == 405
    response = rep_client.post(f"{BASE}{subscription.pk}/test/", follow=True)
    message = Message.objects.get()
    assert message.event_type == "ping"
    assert message.subscription == subscription
    assert any(message.webhook_id in shown for shown in messages_shown(response))
    assert message.webhook_id in response.content.decode().split('id="deliveries"')[1]


def test_a_disabled_webhook_is_not_pinged(rep_client, rep):
    subscription = subscribe(rep)
    Subscription.objects.filter(pk=subscription.pk).update(enabled=False)
    response = rep_client.post(f"{BASE}{subscription.pk}/test/", follow=True)
    assert response.status_code == 200
    assert messages_shown(response) == ["This webhook is disabled: re-enable it first."]
    assert not Message.objects.exists()


def test_the_deliveries_page_lists_messages_newest_first_with_their_attempts(rep_client, rep):
    subscription = subscribe(rep)
    now = timezone.now()
    delivered = delivery(subscription, created_at=now - dt.timedelta(minutes=5))
    Attempt.objects.create(message=delivered, status=200, duration_ms=42, response="thanks")
    failed = delivery(
        subscription,
        state=MessageState.FAILED,
        event_type="call_log.created",
        created_at=now,
        failure_reason="Every attempt failed.",
    )
    Attempt.objects.create(message=failed, status=500, duration_ms=1200, response="oops <b>")
    Attempt.objects.create(message=failed, error="Connection refused", duration_ms=3)

    response = rep_client.get(f"{BASE}{subscription.pk}/deliveries/")
    assert response.status_code == 200
    page = response.content.decode()
    assert page.index(failed.webhook_id) < page.index(delivered.webhook_id)
    for text in ("HTTP 200", "42 ms", "thanks", "HTTP 500", "1200 ms", "oops &lt;b&gt;",
                 "Connection refused", "Every attempt failed.", "call_log.created"):  # fmt: skip
        assert text in page

    only_failed = rep_client.get(f"{BASE}{subscription.pk}/deliveries/", {"state": "failed"})
    assert failed.webhook_id in only_failed.content.decode()
    assert delivered.webhook_id not in only_failed.content.decode()
    # An unknown state is ignored, as other lists ignore unknown filters.
    assert rep_client.get(f"{BASE}{subscription.pk}/deliveries/", {"state": "x"}).status_code == 200


def test_the_deliveries_page_is_paginated(rep_client, rep):
    subscription = subscribe(rep)
    now = timezone.now()
    for minute in range(25):
        delivery(subscription, created_at=now - dt.timedelta(minutes=minute))
    first = rep_client.get(f"{BASE}{subscription.pk}/deliveries/")
    page = first.content.decode()
    assert page.count('class="card delivery"') == 20
    after = first.context["page"].after
    assert after
    second = rep_client.get(f"{BASE}{subscription.pk}/deliveries/", {"after": after})
    assert second.content.decode().count('class="card delivery"') == 5


def test_resend_queues_the_same_message_again(rep_client, rep, other_rep):
    subscription = subscribe(rep)
    failed = delivery(subscription, state=MessageState.FAILED, failure_reason="Gave up.")
    url = f"{BASE}{subscription.pk}/deliveries/{failed.pk}/resend/"
    assert rep_client.get(url).status_code == 405
    response = rep_client.post(url, follow=True)
    assert any(failed.webhook_id in shown for shown in messages_shown(response))
    failed.refresh_from_db()
    assert failed.state == MessageState.PENDING
    assert failed.failure_reason == ""
    assert Message.objects.count() == 1  # the same message, the same webhook-id

    theirs = subscribe(other_rep)
    their_message = delivery(theirs, state=MessageState.FAILED)
    assert (
        rep_client.post(f"{BASE}{theirs.pk}/deliveries/{their_message.pk}/resend/").status_code
        == 404
    )
    # A message of another subscription is not found under this one.
    assert (
        rep_client.post(
            f"{BASE}{subscription.pk}/deliveries/{their_message.pk}/resend/"
        ).status_code
        == 404
    )


def test_delete_asks_first_then_deletes_with_the_log(rep_client, rep):
    subscription = subscribe(rep)
    delivery(subscription)
    confirm = rep_client.get(f"{BASE}{subscription.pk}/delete/")
    assert confirm.status_code == 200
    assert Subscription.objects.exists()
    response = rep_client.post(f"{BASE}{subscription.pk}/delete/", follow=True)
    assert any("Deleted" in message for message in messages_shown(response))
    assert not Subscription.objects.exists()
    assert not Message.objects.exists()
    assert Event.objects.filter(verb=Verb.WEBHOOK_DELETED, channel="web").count() == 1


@pytest.mark.parametrize("path", ["", "new/"])
def test_the_pages_need_a_login(client, path):
    response = client.get(f"{BASE}{path}")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_every_form_carries_the_csrf_token(rep_client, rep):
    subscription = subscribe(rep)
    delivery(subscription)
    pk = subscription.pk
    for path in ("", "new/", f"{pk}/edit/", f"{pk}/delete/", f"{pk}/rotate-secret/",
                 f"{pk}/deliveries/"):  # fmt: skip
        page = rep_client.get(f"{BASE}{path}").content.decode()
        forms = page.split('<form method="post"')[1:]
        assert len(forms) >= 2, path  # the page's own, and the header's log-out
        for form in forms:
            assert "csrfmiddlewaretoken" in form.split("</form>")[0], path
