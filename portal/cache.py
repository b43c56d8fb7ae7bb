"""Redis as a cache that a Redis outage cannot take the portal down with.

Sessions (``cached_db``), allauth's rate limits and replay guards live in the cache. Django's
``RedisCache`` raises when Redis cannot be reached, which turned a Redis outage into an
error on every signed-in page and on sign-in itself. ``ResilientRedisCache`` treats such a
failure as a miss: reads return the default, writes are dropped and ``add`` reports success,
so sessions are read from and written to the database alone (``cached_db`` keeps them
there too), and rate limits and replay guards are off until Redis is back (a trade-off
recorded in docs/decisions.md). Each failure is logged as a warning, at most once a minute
per process. Timeouts are short (settings: one second), so a request does not hang on it.
"""

from __future__ import annotations

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("portal.cache")
_UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
_LOG_EVERY = 60.0


class ResilientRedisCache(RedisCache):
    _last_logged = 0.0

    def _unreachable(self, operation: str) -> None:
        now = time.monotonic()
        if now - ResilientRedisCache._last_logged >= _LOG_EVERY:
            ResilientRedisCache._last_logged = now
            logger.warning("cache unreachable: %s answered as a miss", operation, exc_info=True)

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except _UNREACHABLE:
            self._unreachable("get")
            return default

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except _UNREACHABLE:
            self._unreachable("get_many")
            return {}

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except _UNREACHABLE:
            self._unreachable("has_key")
            return False

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().add(key, value, timeout, version)
        except _UNREACHABLE:
            self._unreachable("add")
            return True

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            super().set(key, value, timeout, version)
        except _UNREACHABLE:
            self._unreachable("set")

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set_many(data, timeout, version)
        except _UNREACHABLE:
            self._unreachable("set_many")
            return list(data)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().touch(key, timeout, version)
        except _UNREACHABLE:
            self._unreachable("touch")
            return False

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except _UNREACHABLE:
            self._unreachable("delete")
            return False

    def delete_many(self, keys, version=None):
        try:
            super().delete_many(keys, version)
        except _UNREACHABLE:
            self._unreachable("delete_many")

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except _UNREACHABLE:
            self._unreachable("incr")
            raise ValueError(f"Key '{key}' not found") from None
