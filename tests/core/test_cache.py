"""The Redis cache behind the rate limit (django-redis) against the real Redis: its increment,
which every API request makes, is one atomic round trip that keeps the counter's expiry. The
README's test command runs on an in-process cache; .ci/run's second pass sets REDIS_URL, and
these tests run there (on the project's machines Redis is always up)."""

import os
import time

import pytest
import redis
from django.core.cache import caches
from django.test import override_settings

pytestmark = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (runs in .ci/run's Redis pass)"
)


@pytest.fixture
def cache(settings):
    prefix = f"test-cache-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    config = {**settings.CACHES["default"], "KEY_PREFIX": prefix}
    assert config["BACKEND"] == "django_redis.cache.RedisCache"  # what production runs
    with override_settings(CACHES={"default": config}):
        backend = caches["default"]
        backend.delete_pattern("*")  # (clear() would empty other workers' keys too)
        yield backend
        backend.delete_pattern("*")


@pytest.fixture
def server():
    return redis.Redis.from_url(os.environ["REDIS_URL"])


def test_incr_counts_atomically_and_keeps_the_expiry(cache, server):
    cache.set("hits", 1, timeout=30)
    assert cache.incr("hits") == 2
    assert cache.incr("hits", 5) == 7
    assert cache.get("hits") == 7
    ttl = server.ttl(cache.make_key("hits"))
    assert 0 < ttl <= 30


def test_incr_is_one_atomic_round_trip(cache, monkeypatch):
    """What this connection sends (the server's own command statistics count every client of
    the shared Redis, the other test worker's rate limits included)."""
    cache.set("hits", 1, timeout=30)
    sent = []
    original = redis.connection.Connection.send_packed_command

    def counting(connection, command, *args, **kwargs):
        sent.append(command)
        return original(connection, command, *args, **kwargs)

    monkeypatch.setattr(redis.connection.Connection, "send_packed_command", counting)
    assert cache.incr("hits") == 2
    monkeypatch.undo()
    [command] = sent  # one round trip...
    wire = b"".join(command) if isinstance(command, list | tuple) else command
    # ...a script (RESP: *<count>, $<length>, EVAL, …), which checks and increments in Redis.
    assert wire.split(b"\r\n")[2].upper() == b"EVAL"
    assert b"EXISTS" in wire.upper()
    assert b"INCRBY" in wire.upper()


def test_incr_of_a_missing_or_expired_key_raises_and_creates_nothing(cache, server):
    with pytest.raises(ValueError, match="not found"):
        cache.incr("never-set")
    cache.set("short", 1, timeout=1)
    time.sleep(1.1)
    with pytest.raises(ValueError, match="not found"):
        cache.incr("short")
    assert cache.get("short") is None
    assert not server.exists(cache.make_key("short"))
