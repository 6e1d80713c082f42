import time

import pytest
from django.core.cache import caches
from django.test import override_settings

from tests.conftest import KeyClient

pytestmark = pytest.mark.django_db

LEADS = "/api/v1/leads"


def test_every_authenticated_response_carries_the_rate_limit_headers(rep, client_for):
    client = client_for(rep, rate_limit=5)
    before = int(time.time())
    first = client.get(LEADS)
    assert first["X-RateLimit-Limit"] == "5"
    assert first["X-RateLimit-Remaining"] == "4"
    reset = int(first["X-RateLimit-Reset"])
    assert before <= reset <= before + 61
    assert client.get(LEADS)["X-RateLimit-Remaining"] == "3"


def test_errors_of_an_authenticated_key_carry_the_headers_too(rep, client_for):
    reader = client_for(rep, permissions="read", rate_limit=5)
    forbidden = reader.post_json(LEADS, {"name": "x", "phone": "+919800000003"})
    assert forbidden.status_code == 403
    assert forbidden["X-RateLimit-Remaining"] == "4"
    not_found = reader.get(f"{LEADS}/00000000-0000-4000-8000-000000000000")
    assert not_found.status_code == 404
    assert not_found["X-RateLimit-Remaining"] == "3"


def test_over_the_limit_is_429_with_retry_after(rep, client_for):
    client = client_for(rep, rate_limit=3)
    statuses = [client.get(LEADS).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    refused = client.get(LEADS)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limit_exceeded"
    retry_after = int(refused["Retry-After"])
    assert 1 <= retry_after <= 60
    assert refused["X-RateLimit-Limit"] == "3"
    assert refused["X-RateLimit-Remaining"] == "0"
    assert int(refused["X-RateLimit-Reset"]) >= int(time.time())


def test_two_keys_do_not_share_a_budget(rep, client_for):
    first = client_for(rep, rate_limit=2)
    second = client_for(rep, rate_limit=2)
    assert [first.get(LEADS).status_code for _ in range(3)] == [200, 200, 429]
    assert [second.get(LEADS).status_code for _ in range(2)] == [200, 200]


def test_default_limit_comes_from_settings(rep, client_for):
    with override_settings(API_RATE_LIMIT_PER_MINUTE=7):
        client = client_for(rep)
    assert client.get(LEADS)["X-RateLimit-Limit"] == "7"


@override_settings(API_AUTH_FAILURES_PER_MINUTE=3)
def test_failed_authentication_is_limited_per_address_but_never_blocks_a_valid_key(rep_api):
    bad = KeyClient("le_live_" + "x" * 38)
    codes = [bad.get(LEADS, REMOTE_ADDR="192.0.2.7").status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    assert int(bad.get(LEADS, REMOTE_ADDR="192.0.2.7")["Retry-After"]) >= 1
    # The same address with a valid key is served; another address may still try.
    assert rep_api.get(LEADS, REMOTE_ADDR="192.0.2.7").status_code == 200
    assert bad.get(LEADS, REMOTE_ADDR="192.0.2.8").status_code == 401


def test_the_api_keeps_serving_when_the_cache_is_unreachable(rep_api, caplog):
    unreachable = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",  # the production backend (settings)
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.1, "SOCKET_TIMEOUT": 0.1},
        }
    }
    # override_settings swaps Django's cache handlers, so the API really talks to a dead Redis.
    with override_settings(CACHES=unreachable):
        assert caches["default"].__class__.__name__ == "RedisCache"
        response = rep_api.get(LEADS)
    assert response.status_code == 200
    assert "X-RateLimit-Limit" not in response
    assert "Rate-limit cache unreachable" in caplog.text


def test_a_request_in_the_last_second_of_a_window_is_still_limited(rep, client_for, monkeypatch):
    """django-ratelimit reads the clock twice; when the window ends between the two readings it
    reports time_left == -1. That is a counted request, not a cache failure."""
    import types
    import zlib

    import django_ratelimit.core

    client = client_for(rep, rate_limit=5)
    offset = zlib.crc32(str(client.api_key.pk).encode()) % 60
    window_end = 1_900_000_020 - 1_900_000_020 % 60 + offset  # a window boundary for this key
    readings = iter([window_end, window_end + 1])  # _get_window, then time_left
    clock = types.SimpleNamespace(time=lambda: next(readings))
    monkeypatch.setattr(django_ratelimit.core, "time", clock)  # only the library's clock

    response = client.get(LEADS)
    assert response.status_code == 200
    assert response["X-RateLimit-Remaining"] == "4"
    assert abs(int(response["X-RateLimit-Reset"]) - time.time()) <= 1  # resetting now
