"""An attempt in flight meets a resend, a disable or another worker: each outcome is recorded
once, by the worker that holds the message, and a success is never turned into a failure."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from events.services import Actor
from webhooks import outbox
from webhooks.delivery import Outcome
from webhooks.models import Message, MessageState, Subscription
from webhooks.services import webhook_create, webhook_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(admin_user):
    """A ping message claimed by a worker whose attempt is in flight: (message, its hold)."""
    created = webhook_create(
        actor=Actor.system(admin_user), url="https://hooks.example.com/x", events=["*"]
    )
    message = outbox.ping_message(created.subscription)
    lease = timezone.now() + dt.timedelta(seconds=20)
    Message.objects.filter(pk=message.pk).update(claimed_until=lease)
    message.refresh_from_db()
    return message, lease


OK = Outcome(status=200, error="", duration_ms=5, response="ok")
FAILED = Outcome(status=500, error="", duration_ms=5, response="no")


def test_a_resend_while_an_attempt_is_in_flight_is_a_409(admin_api, held):
    message, _ = held
    url = f"/api/v1/webhooks/{message.subscription_id}/deliveries/{message.pk}/resend"
    response = admin_api.post_json(url, {})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


def test_resending_an_id_that_is_not_a_uuid_is_a_404(admin_api, held):
    message, _ = held
    for delivery_id in ["-" * 36, "0" * 36, str(uuid.uuid4())]:
        url = f"/api/v1/webhooks/{message.subscription_id}/deliveries/{delivery_id}/resend"
        response = admin_api.post_json(url, {})
        assert response.status_code == 404, delivery_id
        assert response.json()["error"]["code"] == "not_found"


def test_a_success_in_flight_when_the_subscription_is_disabled_still_counts(admin_user, held):
    message, lease = held
    webhook_update(actor=Actor.system(admin_user), subscription=message.subscription,
                   fields={"enabled": False})  # fmt: skip
    assert Message.objects.get().state == MessageState.FAILED
    outbox._record(message, lease, timezone.now(), OK)
    assert Message.objects.get().state == MessageState.DELIVERED


def test_a_failure_in_flight_when_the_subscription_is_disabled_stays_failed(admin_user, held):
    message, lease = held
    webhook_update(actor=Actor.system(admin_user), subscription=message.subscription,
                   fields={"enabled": False})  # fmt: skip
    assert outbox._record(message, lease, timezone.now(), FAILED) == "ended meanwhile"
    failed = Message.objects.get()
    assert failed.state == MessageState.FAILED
    assert "disabled" in failed.failure_reason
    assert failed.attempts.count() == 1  # the attempt is logged all the same


def test_only_the_holder_records_the_outcome(held):
    message, lease = held
    taken_over = lease + dt.timedelta(seconds=30)  # the hold expired; another worker took it
    Message.objects.filter(pk=message.pk).update(claimed_until=taken_over)
    assert outbox._record(message, lease, timezone.now(), FAILED) == "ended meanwhile"
    again = Message.objects.get()
    assert again.state == MessageState.PENDING
    assert again.attempts_in_series == 0
    assert again.claimed_until == taken_over


def test_a_message_whose_subscription_was_deleted_meanwhile_is_dropped(admin_user, receiver):
    """A change written while its subscription is deleted commits (no foreign key to fail it);
    the orphaned message's task finds no subscription and deletes it, sending nothing."""
    created = webhook_create(actor=Actor.system(admin_user), url=receiver.url, events=["*"])
    message = outbox.ping_message(created.subscription)
    Subscription.objects.filter(pk=created.subscription.pk)._raw_delete("default")
    assert outbox.attempt(str(message.pk)) == "subscription deleted"
    assert not Message.objects.exists()
    assert receiver.received == []
