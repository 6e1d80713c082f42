import pytest
from django.utils import timezone

from apikeys.services import apikey_revoke, generate_raw_key
from events.services import Actor
from tests.conftest import KeyClient

pytestmark = pytest.mark.django_db

LEADS = "/api/v1/leads"


def assert_unauthorized(response):
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["error"]["code"] == "unauthorized"
    assert response.json()["error"]["message"]


def test_bearer_header_authenticates(rep_api):
    assert rep_api.get(LEADS).status_code == 200


def test_x_api_key_header_authenticates(rep_api):
    client = KeyClient(HTTP_X_API_KEY=rep_api.raw_key)
    assert client.get(LEADS).status_code == 200


def test_bearer_scheme_is_case_insensitive(rep_api):
    client = KeyClient(HTTP_AUTHORIZATION=f"bearer {rep_api.raw_key}")
    assert client.get(LEADS).status_code == 200


def test_missing_key_is_401(anon_api):
    assert_unauthorized(anon_api.get(LEADS))


@pytest.mark.parametrize(
    "header",
    [
        {"HTTP_AUTHORIZATION": "Bearer"},
        {"HTTP_AUTHORIZATION": "Bearer not-a-key"},
        {"HTTP_AUTHORIZATION": "Basic dXNlcjpwYXNz"},
        {"HTTP_X_API_KEY": "le_live_short"},
        {"HTTP_X_API_KEY": "le_live_" + "a" * 38},
    ],
)
def test_malformed_key_is_401(header):
    assert_unauthorized(KeyClient(**header).get(LEADS))


def test_unknown_well_formed_key_is_401():
    assert_unauthorized(KeyClient(generate_raw_key()).get(LEADS))


def test_revoked_key_is_401(rep_api):
    apikey_revoke(actor=Actor.system(), api_key=rep_api.api_key)
    assert_unauthorized(rep_api.get(LEADS))


def test_key_of_a_deactivated_user_is_401(rep, rep_api):
    rep.is_active = False
    rep.save()
    assert_unauthorized(rep_api.get(LEADS))


def test_request_runs_as_the_linked_user(rep, rep_api):
    created = rep_api.post_json(LEADS, {"name": "Mine", "phone": "+919812345678"})
    assert created.status_code == 201
    assert created.json()["data"]["assigned_to"] == rep.email


def test_last_use_is_recorded_at_most_once_a_minute(rep_api, django_assert_num_queries):
    rep_api.get(LEADS, REMOTE_ADDR="203.0.113.9")
    rep_api.api_key.refresh_from_db()
    first_use = rep_api.api_key.last_used_at
    assert first_use is not None
    assert rep_api.api_key.last_used_ip == "203.0.113.9"

    rep_api.get(LEADS, REMOTE_ADDR="198.51.100.1")
    rep_api.api_key.refresh_from_db()
    assert rep_api.api_key.last_used_at == first_use  # within the minute: no write

    type(rep_api.api_key).objects.filter(pk=rep_api.api_key.pk).update(
        last_used_at=timezone.now() - timezone.timedelta(minutes=2)
    )
    rep_api.get(LEADS, REMOTE_ADDR="198.51.100.1")
    rep_api.api_key.refresh_from_db()
    assert rep_api.api_key.last_used_ip == "198.51.100.1"
    assert rep_api.api_key.last_used_at > first_use
