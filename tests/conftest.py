import os
import time
import types

import django_ratelimit.core
import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from .factories import make_key, make_user

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run while
# one exists unless told it is safe, and here it is: the loop only drives the browser.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Parallel workers (pytest -n) each have their own database, so ids repeat across them; with a
# shared Redis their rate-limit counters must not meet. Each worker counts under its own prefix
# (set before any cache is made, live-server threads included).
if worker := os.environ.get("PYTEST_XDIST_WORKER"):
    cache_settings = settings.CACHES["default"]
    cache_settings["KEY_PREFIX"] = f"{cache_settings.get('KEY_PREFIX', '')}-{worker}"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real hashing (PBKDF2, hundreds of thousands of rounds) per test user is all cost, no cover.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _clear_cache():
    # On Redis, clear() would empty the whole database, other workers' counters included: only
    # this worker's keys go.
    if hasattr(cache, "delete_pattern"):
        cache.delete_pattern("*")
    else:
        cache.clear()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache; each test starts with none."""
    _clear_cache()
    yield
    _clear_cache()


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
