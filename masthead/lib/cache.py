"""The shared cache on Redis, without a new client object per operation.

Django's ``RedisCache`` builds a ``redis.Redis`` for every cache operation, over a
connection pool it keeps. With redis-py 8 that constructor fills a case-insensitive
table of some 170 response callbacks each time: about 0.2 ms of CPU, several times
the round trip itself, and a page makes a handful of cache reads. A client object
holds no connection of its own between commands (it takes one from the pool for
each command and gives it back), so one per pool serves every operation of the
cache, and a forked process still gets fresh connections from the pool.
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class ReusedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}  # id(pool) -> redis.Redis; the pools live as long as this object

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    """Django's Redis cache backend, with one client object per connection pool."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient
