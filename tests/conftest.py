import os
import time
import types

import django_ratelimit.core
import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from .factories import make_key, make_user

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run while
# one exists unless told it is safe, and here it is: the loop only drives the browser.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real hashing (PBKDF2, hundreds of thousands of rounds) per test user is all cost, no cover.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache; each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _one_rate_limit_window(monkeypatch):
    """django-ratelimit counts in fixed one-minute windows; a test that crossed into the next
    one would see its counters reset and fail, about once in 60 runs per second it takes. Its
    clock (only the library's) stands still at the moment the test starts."""
    now = time.time()
    monkeypatch.setattr(django_ratelimit.core, "time", types.SimpleNamespace(time=lambda: now))


@pytest.fixture
def admin_user(db):
    return make_user("admin@example.com", admin=True)


@pytest.fixture
def rep(db):
    return make_user("rep@example.com")


@pytest.fixture
def other_rep(db):
    return make_user("rep2@example.com")


class KeyClient(APIClient):
    """An API client that sends one API key as a Bearer token on every request."""

    def __init__(self, raw_key: str | None = None, **defaults):
        super().__init__(**defaults)
        self.raw_key = raw_key
        if raw_key:
            self.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")

    def post_json(self, path: str, data, **extra):
        return self.post(path, data, format="json", **extra)


@pytest.fixture
def client_for():
    """client_for(user, permissions="read,write,delete", ...) -> KeyClient for a new key."""

    def build(user, **key_options) -> KeyClient:
        api_key, raw = make_key(user, **key_options)
        client = KeyClient(raw)
        client.api_key = api_key
        return client

    return build


@pytest.fixture
def admin_api(admin_user, client_for) -> KeyClient:
    return client_for(admin_user)


@pytest.fixture
def rep_api(rep, client_for) -> KeyClient:
    return client_for(rep)


@pytest.fixture
def anon_api() -> KeyClient:
    return KeyClient()
