"""A Redis outage does not take signed-in pages or sign-in down: the cache answers misses
and sessions live on in the database (portal/cache.py). Against a redis-server of the
test's own, stopped halfway."""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import time

import pytest
from django.core.cache import caches
from redis.exceptions import ConnectionError as RedisConnectionError

from accounts.tests.factories import MemberFactory
from portal import cache

pytestmark = pytest.mark.django_db
PAGES = ("/", "/history/", "/documents/", "/settings/")


@pytest.fixture(autouse=True)
def no_outage_noted():
    cache._Outage.retry_at, cache._Outage.logged_at = 0.0, -cache._LOG_EVERY
    yield
    cache._Outage.retry_at, cache._Outage.logged_at = 0.0, -cache._LOG_EVERY


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_redis(port: int, directory) -> subprocess.Popen:
    """A redis-server on ``port`` that keeps nothing, once it accepts connections."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(directory)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)


@pytest.fixture
def redis_server(tmp_path):
    port = free_port()
    process = start_redis(port, tmp_path)
    yield port, process
    process.kill()
    process.wait(timeout=10)


def use_redis(settings, port: int) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "portal.cache.ResilientRedisCache", "LOCATION": f"redis://127.0.0.1:{port}/0",
            "KEY_PREFIX": "test", "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    settings.SESSION_ENGINE = "accounts.session_store"


def test_a_signed_in_member_keeps_their_pages_when_redis_goes_down(client, settings, redis_server, caplog):
    port, process = redis_server
    use_redis(settings, port)
    member = MemberFactory(name="山田 花子")
    client.force_login(member)
    assert client.get("/").status_code == 200
    assert caches["default"].get("probe", "missing") == "missing" and caches["default"].add("probe", 1)
    assert caches["default"].get("probe") == 1  # a working cache while Redis is up

    process.kill()
    process.wait(timeout=10)
    with caplog.at_level(logging.WARNING, logger="portal.cache"):
        for url in PAGES:
            response = client.get(url)
            assert response.status_code == 200, url
        assert "山田 花子" in client.get("/").content.decode()  # still signed in: the session is in the database
    assert any("cache unreachable" in record.getMessage() for record in caplog.records)
    assert caches["default"].get("probe", "missing") == "missing"


def test_sign_in_works_while_redis_is_unreachable(client, settings):
    use_redis(settings, free_port())  # nothing listens there
    member = MemberFactory(name="田中 太郎")
    client.force_login(member)  # a new session key, stored in the database
    for url in PAGES:
        assert client.get(url).status_code == 200, url
    client.logout()
    assert client.get("/settings/").status_code == 302  # signed out is signed out


def test_after_a_failure_redis_is_left_alone_for_a_few_seconds(monkeypatch):
    calls = []

    def unreachable(self, key, default=None, version=None):
        calls.append(key)
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    get = cache._or_miss(unreachable, lambda key, default=None, version=None: default)
    now = [1000.0]
    monkeypatch.setattr(cache.time, "monotonic", lambda: now[0])
    assert get(None, "a", "miss") == "miss"
    assert get(None, "b", "miss") == "miss"
    assert calls == ["a"]  # the second call did not wait on Redis
    now[0] += cache.PAUSE_SECONDS
    assert get(None, "c", "miss") == "miss"
    assert calls == ["a", "c"]  # asked again after the pause


def test_one_redis_client_serves_every_call_and_survives_a_restart(settings, redis_server, tmp_path):
    port, process = redis_server
    use_redis(settings, port)
    backend = caches["default"]
    backend.set("k", "v")
    first = backend._cache.get_client("k")
    assert backend._cache.get_client("other", write=True) is first  # not one per call (0.1 ms each)
    assert backend.get("k") == "v" and backend.get_many(["k"]) == {"k": "v"}

    process.kill()
    process.wait(timeout=10)
    assert backend.get("k", "miss") == "miss"
    restarted = start_redis(port, tmp_path)
    try:
        cache._Outage.retry_at = 0.0  # past the pause after the failure
        backend.set("k", "again")
        assert backend.get("k") == "again" and backend._cache.get_client("k") is first  # reconnected, same client
    finally:
        restarted.kill()
        restarted.wait(timeout=10)
