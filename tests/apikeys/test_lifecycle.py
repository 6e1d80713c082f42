import pytest

from apikeys.services import apikey_regenerate, apikey_revoke
from events.services import Actor
from tests.conftest import KeyClient

pytestmark = pytest.mark.django_db

LEADS = "/api/v1/leads"


def test_regenerating_replaces_the_key_and_the_old_one_stops_at_once(rep_api):
    old = rep_api.raw_key
    assert rep_api.get(LEADS).status_code == 200
    new = apikey_regenerate(actor=Actor.system(), api_key=rep_api.api_key)
    assert new != old
    assert KeyClient(old).get(LEADS).status_code == 401
    assert KeyClient(new).get(LEADS).status_code == 200


def test_regenerated_key_keeps_its_settings(rep, client_for):
    client = client_for(rep, permissions="read", allowed_ips=["203.0.113.0/24"], rate_limit=9)
    new = apikey_regenerate(actor=Actor.system(), api_key=client.api_key)
    response = KeyClient(new).get(LEADS, REMOTE_ADDR="203.0.113.5")
    assert response.status_code == 200
    assert response["X-RateLimit-Limit"] == "9"
    assert KeyClient(new).get(LEADS, REMOTE_ADDR="192.0.2.1").status_code == 403
    assert KeyClient(new).post(LEADS, {}, format="json").status_code == 403


def test_revoking_stops_the_key(rep_api):
    apikey_revoke(actor=Actor.system(), api_key=rep_api.api_key)
    assert rep_api.get(LEADS).status_code == 401
    rep_api.api_key.refresh_from_db()
    assert rep_api.api_key.revoked_at is not None
