"""/api/v1/webhooks: create (the secret shown once), list, read, patch, delete, rotate, test,
deliveries — with the key's toggles, row-level ownership and the error envelope."""

import re
import uuid

import pytest

from events.models import Event
from webhooks.models import Subscription

pytestmark = pytest.mark.django_db

BASE = "/api/v1/webhooks"
URL = "https://hooks.example.com/crm"


def create(api, **body):
    body = {"url": URL, "events": ["lead.created"], **body}
    return api.post_json(BASE, body)


def test_create_answers_201_with_the_secret_once(admin_api):
    response = create(admin_api, description="Warehouse")
    assert response.status_code == 201
    data = response.json()["data"]
    assert set(data) >= {"id", "url", "events", "description", "enabled", "created_at", "secret"}
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/]{43}=", data["secret"])
    assert data["enabled"] is True
    assert data["events"] == ["lead.created"]
    assert response["Location"] == f"{BASE}/{data['id']}"
    shown = admin_api.get(f"{BASE}/{data['id']}").json()["data"]
    assert "secret" not in shown
    listed = admin_api.get(BASE).json()
    assert "secret" not in listed["data"][0]
    assert listed["pagination"]["total"] == 1
    event = Event.objects.get(verb="webhook.created")
    assert data["secret"] not in str(event.changes) + str(event.snapshot)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"events": []}, "events"),
        ({"events": ["lead.exploded"]}, "events"),
        ({"events": "lead.created"}, "events"),
        ({"events": ["*", "lead.created"]}, "events"),
        ({"events": ["ping"]}, "events"),
        ({"url": None}, "url"),
        ({"url": 42}, "url"),
        ({"url": "hooks.example.com"}, "url"),
        ({"description": "x" * 501}, "description"),
        ({"secret": "whsec_mine"}, "secret"),
        ({"enabled": False}, "enabled"),
    ],
)
def test_bad_subscriptions_are_400s_naming_the_field(admin_api, body, field):
    response = create(admin_api, **body)
    assert response.status_code == 400, response.json()
    assert response.json()["error"]["field"] == field
    assert Subscription.objects.count() == 0


def test_all_events_is_a_star(admin_api):
    response = create(admin_api, events=["*"])
    assert response.json()["data"]["events"] == ["*"]


def test_patch_changes_what_is_sent_and_rejects_the_rest(admin_api, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    webhook_id = create(admin_api).json()["data"]["id"]
    url = f"{BASE}/{webhook_id}"
    response = admin_api.patch(url, {"events": ["call_log.created"], "description": "Calls"},
                               format="json")  # fmt: skip
    assert response.status_code == 200
    assert response.json()["data"]["events"] == ["call_log.created"]
    assert admin_api.get(url).json() == response.json()
    assert admin_api.patch(url, {}, format="json").status_code == 400
    response = admin_api.patch(url, {"secret": "x"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "secret"
    response = admin_api.patch(url, {"url": "http://10.0.0.1/"}, format="json")
    assert response.json()["error"]["field"] == "url"
    assert admin_api.patch(url, {"enabled": "yes"}, format="json").status_code == 400


def test_disabling_by_patch_says_who_and_enabling_clears_it(admin_api):
    webhook_id = create(admin_api).json()["data"]["id"]
    url = f"{BASE}/{webhook_id}"
    off = admin_api.patch(url, {"enabled": False}, format="json").json()["data"]
    assert off["enabled"] is False
    assert off["disabled_reason"] == "Disabled by admin@example.com."
    on = admin_api.patch(url, {"enabled": True}, format="json").json()["data"]
    assert on["disabled_reason"] is None


def test_a_disabled_subscription_cannot_be_pinged(admin_api):
    webhook_id = create(admin_api).json()["data"]["id"]
    admin_api.patch(f"{BASE}/{webhook_id}", {"enabled": False}, format="json")
    response = admin_api.post_json(f"{BASE}/{webhook_id}/test", {})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


def test_delete_answers_the_id_and_then_404(admin_api):
    webhook_id = create(admin_api).json()["data"]["id"]
    response = admin_api.delete(f"{BASE}/{webhook_id}")
    assert response.json() == {"data": {"id": webhook_id, "deleted": True}}
    assert admin_api.get(f"{BASE}/{webhook_id}").status_code == 404
    assert Event.objects.filter(verb="webhook.deleted").count() == 1


def test_unknown_ids_are_json_404s(admin_api):
    for path in [
        f"{BASE}/{uuid.uuid4()}",
        f"{BASE}/not-a-uuid",
        f"{BASE}/{uuid.uuid4()}/deliveries",
    ]:
        response = admin_api.get(path)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_the_key_toggles_apply(admin_user, client_for):
    read_only = client_for(admin_user, permissions="read")
    assert create(read_only).status_code == 403
    writer = client_for(admin_user, permissions="read,write")
    webhook_id = create(writer).json()["data"]["id"]
    assert writer.delete(f"{BASE}/{webhook_id}").status_code == 403
    assert read_only.post_json(f"{BASE}/{webhook_id}/rotate-secret", {}).status_code == 403
    assert read_only.get(f"{BASE}/{webhook_id}/deliveries").status_code == 200


def test_a_rep_manages_their_own_and_an_admin_everyone_s(rep, other_rep, admin_user, client_for):
    rep_api, other_api, admin_api = (client_for(user) for user in (rep, other_rep, admin_user))
    mine = create(rep_api).json()["data"]
    create(other_api)
    assert [item["id"] for item in rep_api.get(BASE).json()["data"]] == [mine["id"]]
    assert other_api.get(f"{BASE}/{mine['id']}").status_code == 404
    assert other_api.delete(f"{BASE}/{mine['id']}").status_code == 404
    assert admin_api.get(BASE).json()["pagination"]["total"] == 2
    # An admin editing a rep's subscription does not become its owner.
    edited = admin_api.patch(f"{BASE}/{mine['id']}", {"description": "by admin"}, format="json")
    assert edited.json()["data"]["owner"] == "rep@example.com"
    assert Subscription.objects.get(pk=mine["id"]).owner == rep


def test_deliveries_filter_by_state_and_reject_unknown_states(admin_api):
    webhook_id = create(admin_api).json()["data"]["id"]
    admin_api.post_json(f"{BASE}/{webhook_id}/test", {})
    url = f"{BASE}/{webhook_id}/deliveries"
    assert [d["type"] for d in admin_api.get(url, {"state": "pending"}).json()["data"]] == ["ping"]
    assert admin_api.get(url, {"state": "delivered"}).json()["data"] == []
    response = admin_api.get(url, {"state": "lost"})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "state"


def test_resend_of_an_unknown_delivery_is_a_404(admin_api):
    webhook_id = create(admin_api).json()["data"]["id"]
    response = admin_api.post_json(f"{BASE}/{webhook_id}/deliveries/{uuid.uuid4()}/resend", {})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
