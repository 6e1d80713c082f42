"""Events reach a real receiver, signed as Standard Webhooks defines, with previous values, the
actor, retries, 410 handling, rotation overlap, pings and resends."""

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from pipelines.models import Stage
from tests.factories import make_call, make_lead
from webhooks.models import Message, MessageState, Subscription

from .conftest import drain
from .receiver import Receiver

pytestmark = pytest.mark.django_db


def subscribe(api, receiver, events=("*",), **extra):
    response = api.post_json(
        "/api/v1/webhooks", {"url": receiver.url, "events": list(events), **extra}
    )
    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    receiver.secret = data["secret"]
    return data


def test_a_created_lead_is_posted_signed_with_the_actor(admin_api, receiver):
    subscribe(admin_api, receiver)
    lead = admin_api.post_json("/api/v1/leads", {"name": "Asha Rao", "phone": "+919800000001"})
    drain()
    [got] = receiver.wait_for(1)
    assert got.verified
    assert got.headers["webhook-id"].startswith("msg_")
    assert got.headers["content-type"] == "application/json"
    assert "LeadCRM" in got.headers["user-agent"]
    assert abs(int(got.headers["webhook-timestamp"]) - timezone.now().timestamp()) < 30
    body = got.json
    assert body["type"] == "lead.created"
    assert body["timestamp"].endswith("Z")
    assert body["data"]["object"] == lead.json()["data"]
    assert "previous_attributes" not in body["data"]
    assert body["data"]["actor"] == {
        "email": "admin@example.com",
        "api_key": {"name": admin_api.api_key.name, "prefix": admin_api.api_key.prefix},
        "channel": "api",
    }


def test_an_update_carries_every_previous_value_but_updated_at(admin_api, receiver):
    lead = admin_api.post_json("/api/v1/leads", {"name": "Asha", "phone": "+919800000002"})
    lead_id = lead.json()["data"]["id"]
    subscribe(admin_api, receiver, events=["lead.updated"])
    admin_api.patch(
        f"/api/v1/leads/{lead_id}", {"status": "Contacted", "city": "Pune"}, format="json"
    )
    drain()
    [got] = receiver.wait_for(1)
    data = got.json["data"]
    assert got.json["type"] == "lead.updated"
    new = Stage.objects.get(pipeline__is_default=True, name="New")
    assert data["previous_attributes"] == {
        "status": "New", "stage": "New", "stage_id": str(new.pk), "city": None
    }  # fmt: skip
    assert data["object"]["status"] == "Contacted"


def test_a_merge_is_an_update_and_a_merge_that_changes_nothing_sends_nothing(admin_api, receiver):
    fields = {"name": "Ravi", "phone": "+919800000003"}
    admin_api.post_json("/api/v1/leads", fields)
    subscribe(admin_api, receiver)
    admin_api.post_json("/api/v1/leads", fields)  # the same again: nothing changes
    admin_api.post_json("/api/v1/leads", {**fields, "city": "Delhi"})
    drain()
    received = receiver.wait_for(1)
    assert [got.json["type"] for got in received] == ["lead.updated"]
    assert received[0].json["data"]["previous_attributes"] == {"city": None}
    assert Message.objects.count() == 1


def test_deleting_a_lead_sends_lead_deleted_only_with_its_last_representation(admin_api, receiver):
    lead = make_lead(name="Gone Soon")
    make_call(lead)
    make_call(lead)
    subscribe(admin_api, receiver)
    before = admin_api.get(f"/api/v1/leads/{lead.pk}").json()["data"]
    assert admin_api.delete(f"/api/v1/leads/{lead.pk}").status_code == 200
    drain()
    received = receiver.wait_for(1)
    assert [got.json["type"] for got in received] == ["lead.deleted"]
    assert received[0].json["data"]["object"] == before


def test_call_logs_are_sent_to_subscribers_of_call_events_only(admin_api, receiver):
    lead = make_lead()
    subscribe(admin_api, receiver, events=["call_log.created"])
    admin_api.patch(f"/api/v1/leads/{lead.pk}", {"city": "Goa"}, format="json")
    call = admin_api.post_json(
        "/api/v1/call-logs",
        {"lead_id": str(lead.pk), "call_type": "Inbound", "duration_seconds": 5},
    )
    drain()
    received = receiver.wait_for(1)
    assert [got.json["type"] for got in received] == ["call_log.created"]
    assert received[0].json["data"]["object"] == call.json()["data"]


def test_failures_are_retried_with_the_same_webhook_id_until_delivered(admin_api, receiver):
    subscription = subscribe(admin_api, receiver)
    receiver.answer(500, 503)
    make_lead_via_api(admin_api)
    drain()
    received = receiver.wait_for(3)
    assert len(received) == 3
    assert len({got.webhook_id for got in received}) == 1
    assert all(got.verified for got in received)
    [delivery] = admin_api.get(f"/api/v1/webhooks/{subscription['id']}/deliveries").json()["data"]
    assert delivery["state"] == "delivered"
    assert delivery["webhook_id"] == received[0].webhook_id
    assert [attempt["status"] for attempt in delivery["attempts"]] == [500, 503, 200]
    assert delivery["attempts"][2]["response"] == '{"ok": true}'


def test_a_message_that_fails_every_attempt_ends_failed_with_the_reason(admin_api, receiver):
    subscription = subscribe(admin_api, receiver)
    receiver.answer(500, 500, 500)
    make_lead_via_api(admin_api)
    drain()
    assert len(receiver.wait_for(3)) == 3
    message = Message.objects.get()
    assert message.state == MessageState.FAILED
    assert "HTTP 500" in message.failure_reason
    # A fresh subscription (enabled minutes ago) is not auto-disabled by one failure.
    assert Subscription.objects.get(pk=subscription["id"]).enabled


def test_410_gone_disables_the_subscription_and_one_patch_re_enables_it(admin_api, receiver):
    subscription = subscribe(admin_api, receiver)
    receiver.answer(410)
    make_lead_via_api(admin_api)
    drain()
    assert len(receiver.wait_for(1)) == 1
    shown = admin_api.get(f"/api/v1/webhooks/{subscription['id']}").json()["data"]
    assert shown["enabled"] is False
    assert "410" in shown["disabled_reason"]
    make_lead_via_api(admin_api)  # nothing is queued for a disabled subscription
    assert Message.objects.count() == 1
    response = admin_api.patch(
        f"/api/v1/webhooks/{subscription['id']}", {"enabled": True}, format="json"
    )
    assert response.json()["data"]["enabled"] is True
    assert response.json()["data"]["disabled_reason"] is None
    make_lead_via_api(admin_api)
    drain()
    assert len(receiver.wait_for(2)) == 2


def test_no_success_for_24_hours_and_a_message_failing_every_attempt_disables(admin_api, receiver):
    subscription = subscribe(admin_api, receiver)
    Subscription.objects.filter(pk=subscription["id"]).update(
        enabled_since=timezone.now() - dt.timedelta(hours=25),
        last_success_at=timezone.now() - dt.timedelta(hours=24, minutes=1),
    )
    receiver.answer(500, 500, 500)
    make_lead_via_api(admin_api)
    drain()
    receiver.wait_for(3)
    shown = Subscription.objects.get(pk=subscription["id"])
    assert shown.enabled is False
    assert "24 hours" in shown.disabled_reason


def test_during_a_rotation_both_secrets_sign(admin_api, receiver):
    subscription = subscribe(admin_api, receiver)
    old_secret = receiver.secret
    rotated = admin_api.post_json(f"/api/v1/webhooks/{subscription['id']}/rotate-secret", {})
    assert rotated.status_code == 200
    new_secret = rotated.json()["data"]["secret"]
    assert new_secret.startswith("whsec_")
    assert new_secret != old_secret
    make_lead_via_api(admin_api)
    drain()
    [got] = receiver.wait_for(1)
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    for secret in (old_secret, new_secret):
        assert Receiver(secret=secret).verify(got.body, got.headers)
    # After the overlap only the new secret signs.
    Subscription.objects.filter(pk=subscription["id"]).update(
        previous_secret_expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    make_lead_via_api(admin_api)
    drain()
    latest = receiver.wait_for(2)[1]
    assert not Receiver(secret=old_secret).verify(latest.body, latest.headers)
    assert Receiver(secret=new_secret).verify(latest.body, latest.headers)


def test_a_ping_goes_to_that_endpoint_only(admin_api, receiver):
    with Receiver() as other:
        subscribe(admin_api, other)
        subscription = subscribe(admin_api, receiver)
        response = admin_api.post_json(f"/api/v1/webhooks/{subscription['id']}/test", {})
        assert response.status_code == 202
        webhook_id = response.json()["data"]["webhook_id"]
        drain()
        [got] = receiver.wait_for(1)
        assert got.verified
        assert got.webhook_id == webhook_id
        assert got.json["type"] == "ping"
        assert got.json["data"] == {"subscription_id": subscription["id"]}
        assert other.received == []


def test_resend_sends_the_same_message_again_with_its_webhook_id(admin_api, receiver):
    subscription = subscribe(admin_api, receiver)
    make_lead_via_api(admin_api)
    drain()
    [first] = receiver.wait_for(1)
    base = f"/api/v1/webhooks/{subscription['id']}/deliveries"
    [delivery] = admin_api.get(base).json()["data"]
    response = admin_api.post_json(f"{base}/{delivery['id']}/resend", {})
    assert response.status_code == 202
    drain()
    second = receiver.wait_for(2)[1]
    assert second.webhook_id == first.webhook_id
    assert second.body == first.body
    [delivery] = admin_api.get(base).json()["data"]
    assert delivery["state"] == "delivered"
    assert len(delivery["attempts"]) == 2


def test_retry_after_on_429_is_honoured_up_to_twice_the_step(settings):
    from webhooks.rules import next_delay

    settings.WEBHOOK_RETRY_SCHEDULE = [0, 5, 300]
    assert 4 <= next_delay(1) <= 6
    assert next_delay(1, retry_after=8) == 8
    assert next_delay(1, retry_after=3600) == 10  # capped at twice the step
    assert next_delay(3) is None


def test_a_429_schedules_the_next_attempt_after_retry_after(admin_api, receiver, settings):
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 60]
    subscribe(admin_api, receiver)
    receiver.answer(429, headers={"Retry-After": "100"})
    make_lead_via_api(admin_api)
    drain()
    receiver.wait_for(1)
    message = Message.objects.get()
    assert message.state == MessageState.PENDING
    wait = (message.next_attempt_at - timezone.now()).total_seconds()
    assert 95 <= wait <= 100


def make_lead_via_api(api):

    number = next(_numbers)
    response = api.post_json(
        "/api/v1/leads", {"name": f"Lead {number}", "phone": f"+9198{number:08d}"}
    )
    assert response.status_code == 201
    return response.json()["data"]


_numbers = itertools.count(10_000)


def test_a_receiver_slower_than_the_timeout_is_a_failed_attempt(admin_api, receiver, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 0]
    subscription = subscribe(admin_api, receiver)
    receiver.answer(200, delay=2.5)
    make_lead_via_api(admin_api)
    drain()
    [delivery] = admin_api.get(f"/api/v1/webhooks/{subscription['id']}/deliveries").json()["data"]
    first, second = delivery["attempts"]
    assert first["status"] is None
    assert first["error"] == "Timed out after 1 s"
    assert first["duration_ms"] < 2000
    assert second["status"] == 200
    assert delivery["state"] == "delivered"


def test_a_read_timing_out_before_the_watchdog_fires_is_still_a_timeout(
    admin_api, receiver, settings, monkeypatch
):
    """On a busy machine the socket's own timeout (the time left to the deadline) can run out
    before the watchdog thread gets its turn: seen in CI as 'TimeoutError: timed out'."""
    from webhooks import delivery

    class LateWatchdog(delivery._Watchdog):
        def _fire(self):  # never gets its turn
            pass

    monkeypatch.setattr(delivery, "_Watchdog", LateWatchdog)
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    settings.WEBHOOK_RETRY_SCHEDULE = [0]
    subscription = subscribe(admin_api, receiver)
    receiver.answer(200, delay=2.5)
    make_lead_via_api(admin_api)
    drain()
    [delivery_log] = admin_api.get(f"/api/v1/webhooks/{subscription['id']}/deliveries").json()[
        "data"
    ]
    assert delivery_log["attempts"][0]["error"] == "Timed out after 1 s"


def test_a_receiver_dripping_its_answer_is_cut_at_the_timeout(admin_api, receiver, settings):
    """A socket timeout bounds each read; the attempt as a whole must end at the timeout too
    (a slow receiver cannot hold a worker, or answer a 2xx after the deadline)."""
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    settings.WEBHOOK_RETRY_SCHEDULE = [0]
    subscription = subscribe(admin_api, receiver)
    receiver.answer(200, drip=0.2)  # a byte every 0.2 s: about 10 s for the whole answer
    make_lead_via_api(admin_api)
    drain()
    [delivery] = admin_api.get(f"/api/v1/webhooks/{subscription['id']}/deliveries").json()["data"]
    [attempt] = delivery["attempts"]
    assert attempt["status"] is None
    assert attempt["error"] == "Timed out after 1 s"
    assert attempt["duration_ms"] < 1600
    assert delivery["state"] == "failed"


def test_an_answer_with_nul_and_binary_bytes_is_logged_and_counts(admin_api, receiver):
    subscription = subscribe(admin_api, receiver)
    receiver.answer(200, body=b"a\x00b\xff\xfe" + b"x" * 5000)
    make_lead_via_api(admin_api)
    drain()
    [delivery] = admin_api.get(f"/api/v1/webhooks/{subscription['id']}/deliveries").json()["data"]
    assert delivery["state"] == "delivered"
    [attempt] = delivery["attempts"]
    assert attempt["response"].startswith("a\ufffdb")
    assert "\x00" not in attempt["response"]
    assert len(attempt["response"]) <= 1024


def test_a_kept_alive_connection_carries_the_next_message(admin_api, receiver):
    subscribe(admin_api, receiver)
    for _ in range(3):
        make_lead_via_api(admin_api)
    drain()
    received = receiver.wait_for(3)
    assert all(got.verified for got in received)
    assert len({got.client_port for got in received}) == 1  # one connection for all three


def test_a_stage_move_is_an_update_with_the_previous_stage_and_status(admin_api, receiver):
    lead = make_lead(name="Mover", status="Qualified")
    sales = Stage.objects.get(pipeline__is_default=True, name="Qualified").pipeline
    won = sales.stages.get(name="Won")
    subscribe(admin_api, receiver, events=["lead.updated"])
    response = admin_api.post_json(
        f"/api/v1/pipelines/{sales.pk}/leads", {"lead_id": str(lead.pk), "stage_id": str(won.pk)}
    )
    assert response.status_code == 200
    drain()
    [got] = receiver.wait_for(1)
    data = got.json["data"]
    qualified = sales.stages.get(name="Qualified")
    assert data["previous_attributes"] == {
        "status": "Qualified", "stage": "Qualified", "stage_id": str(qualified.pk)
    }  # fmt: skip
    assert (data["object"]["stage_id"], data["object"]["status"]) == (str(won.pk), "Won")
