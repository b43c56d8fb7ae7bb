"""Redis as a cache that a Redis outage cannot take the portal down with.

Sessions (``cached_db``), allauth's rate limits and replay guards live in the cache. Django's
``RedisCache`` raises when Redis cannot be reached, which turned a Redis outage into an
error on every signed-in page and on sign-in itself. ``ResilientRedisCache`` answers such a
failure as a miss: reads return the default, writes are dropped and ``add`` reports success,
so sessions are read from and written to the database alone (``cached_db`` keeps them
there too), and rate limits and replay guards are off until Redis is back (a trade-off
recorded in docs/decisions.md). After a failure the process leaves Redis alone for a few
seconds, so a request does not wait for a timeout at every cache call; each failure is
logged as a warning, at most once a minute per process.

Django's client builds a new ``redis.Redis`` for every cache call (about 0.1 ms of CPU each,
several calls on every signed-in page); ``ReusedRedisCacheClient`` keeps one per connection
pool, which redis-py allows: a client takes a connection from its pool for each command.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("portal.cache")
_UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
PAUSE_SECONDS = 5.0  # after a failure, Redis is not asked again for this long
_LOG_EVERY = 60.0


class _Outage:
    retry_at = 0.0  # time.monotonic() from which Redis is asked again
    logged_at = -_LOG_EVERY

    @classmethod
    def note(cls, operation: str) -> None:
        now = time.monotonic()
        cls.retry_at = now + PAUSE_SECONDS
        if now - cls.logged_at >= _LOG_EVERY:
            cls.logged_at = now
            logger.warning("cache unreachable: %s answered as a miss", operation, exc_info=True)


def _or_miss(operation: Callable, miss: Callable) -> Callable:
    """``operation``, or what ``miss`` answers for the same arguments while Redis is out."""

    @functools.wraps(operation)
    def guarded(self, *args, **kwargs):
        if time.monotonic() >= _Outage.retry_at:
            try:
                return operation(self, *args, **kwargs)
            except _UNREACHABLE:
                _Outage.note(operation.__name__)
        return miss(*args, **kwargs)

    return guarded


def _no_key(key, *args, **kwargs):
    raise ValueError(f"Key '{key}' not found")


class ReusedRedisCacheClient(RedisCacheClient):
    """Django's Redis cache client with one ``redis.Redis`` per server, made on first use."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            if index not in self._pools:
                self._pools[index] = self._pool_class.from_url(self._servers[index], **self._pool_options)
            client = self._clients[index] = self._client(connection_pool=self._pools[index])
        return client


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedRedisCacheClient

    get = _or_miss(RedisCache.get, lambda key, default=None, version=None: default)
    get_many = _or_miss(RedisCache.get_many, lambda *args, **kwargs: {})
    has_key = _or_miss(RedisCache.has_key, lambda *args, **kwargs: False)
    add = _or_miss(RedisCache.add, lambda *args, **kwargs: True)
    set = _or_miss(RedisCache.set, lambda *args, **kwargs: None)
    set_many = _or_miss(RedisCache.set_many, lambda data, *args, **kwargs: list(data))
    touch = _or_miss(RedisCache.touch, lambda *args, **kwargs: False)
    delete = _or_miss(RedisCache.delete, lambda *args, **kwargs: False)
    delete_many = _or_miss(RedisCache.delete_many, lambda *args, **kwargs: None)
    incr = _or_miss(RedisCache.incr, _no_key)
