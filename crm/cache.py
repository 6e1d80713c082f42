"""Django's Redis cache backend, with two fixes that the API's rate limit (two cache calls on
every request, through django-ratelimit) feels:

- Django builds a new `redis.Redis` object for every cache call; a client is thread-safe and
  holds no connection of its own (its pool does), so one client per pool does the same work.
- Django's `incr` is EXISTS then INCRBY: two round trips, and a counter that expires between
  them comes back as a new key without a TTL. A server-side script does both in one atomic step.
"""

from django.core.cache.backends import redis as django_redis

INCR_EXISTING = """
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCRBY', KEYS[1], ARGV[1]) end
return false
"""


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}
        self._incr_existing = None

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client

    def incr(self, key, delta):
        client = self.get_client(key, write=True)
        if self._incr_existing is None:
            self._incr_existing = client.register_script(INCR_EXISTING)
        value = self._incr_existing(keys=[key], args=[delta], client=client)
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
