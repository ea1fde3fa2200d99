"""A Redis cache whose outage is a cache miss, not a server error.

The portal keeps nothing in the cache that it cannot rebuild from the database (school
settings, the calendar, rate-limit counters, the session cache in front of the database).
So while Redis is down every page must still answer: reads miss, writes are dropped, and for
a short while Redis is not asked at all, so no request waits on a dead socket more than once.
Rate limits fail open during an outage; sessions live in the database (cached_db).
"""

import logging
import time

import redis
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

log = logging.getLogger(__name__)

# After a failure Redis is left alone this long; then the next request tries it again.
RETRY_AFTER_SECONDS = 5.0


class _Breaker:
    down_until = 0.0

    @classmethod
    def closed(cls) -> bool:
        return time.monotonic() >= cls.down_until

    @classmethod
    def trip(cls, error) -> None:
        if cls.closed():
            log.warning("Redis cache unavailable (%s); serving without it for %ss", error, RETRY_AFTER_SECONDS)
        cls.down_until = time.monotonic() + RETRY_AFTER_SECONDS


def _guarded(method_name, fallback):
    parent = getattr(RedisCacheClient, method_name)

    def method(self, *args, **kwargs):
        if not _Breaker.closed():
            return fallback(*args, **kwargs)
        try:
            return parent(self, *args, **kwargs)
        except (redis.ConnectionError, redis.TimeoutError) as error:
            _Breaker.trip(error)
            return fallback(*args, **kwargs)

    method.__name__ = method_name
    return method


class ResilientRedisCacheClient(RedisCacheClient):
    def get_client(self, key=None, *, write=False):
        """One redis.Redis per connection pool, made once: Django makes a new one for every cache
        operation, and each builds redis-py's table of ~170 response callbacks (a fifth of the
        cost of a session read). A Redis client is thread-safe; its pool hands out connections."""
        index = self._get_connection_pool_index(write)
        clients = self.__dict__.setdefault("_clients", {})
        client = clients.get(index)
        if client is None:
            client = clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client

    add = _guarded("add", lambda key, value, timeout: False)
    get = _guarded("get", lambda key, default: default)
    set = _guarded("set", lambda key, value, timeout: None)
    touch = _guarded("touch", lambda key, timeout: False)
    delete = _guarded("delete", lambda key: False)
    get_many = _guarded("get_many", lambda keys: {})
    has_key = _guarded("has_key", lambda key: False)
    set_many = _guarded("set_many", lambda data, timeout: [])
    delete_many = _guarded("delete_many", lambda keys: None)
    clear = _guarded("clear", lambda: False)


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ResilientRedisCacheClient
