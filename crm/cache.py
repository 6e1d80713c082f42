"""Django's Redis cache backend, keeping one client per connection pool.

Django's own backend builds a new `redis.Redis` object for every cache call (a dozen attribute
setups and a callbacks dict each time); the API's rate limit makes two calls per request, which
bench/ measured at about a twentieth of a list request's CPU. A `redis.Redis` is thread-safe and
holds no connection of its own (the pool does), so one per pool does the same work.
"""

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
