"""Limits counted in the cache (portal/limits.py): the history CSV per member, the sign-in
start per client address, the client address behind the load balancer (allauth's settings),
staff sign-in failures per account and client address, what happens while Redis is out, and
the daily removal of expired sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from accounts.tests.factories import MemberFactory, StaffFactory
from accounts.tests.test_admin_site import PASSWORD
from cards.tests.factories import CardFactory, UsageRecordFactory
from portal import cache as portal_cache
from portal import limits
from portal.tests.test_cache import free_port, use_redis

pytestmark = pytest.mark.django_db
START = "/accounts/oidc/wester-id/login/"
JAPAN = ZoneInfo("Asia/Tokyo")
LB = "10.0.0.5"  # the load balancer: every request's connection comes from it


# -- The client's address ------------------------------------------------------------------


def request_from(remote: str = LB, **headers):
    return RequestFactory().get("/", REMOTE_ADDR=remote, headers=headers)


def test_without_trusted_proxies_the_connection_is_the_client(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT, settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER = 0, None
    assert limits.client_ip(request_from(**{"X-Forwarded-For": "203.0.113.9"})) == LB


def test_the_trusted_hop_of_x_forwarded_for_is_the_client(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    assert limits.client_ip(request_from(**{"X-Forwarded-For": "203.0.113.9"})) == "203.0.113.9"
    # What a client writes itself stands further left and is not believed.
    assert limits.client_ip(request_from(**{"X-Forwarded-For": "1.2.3.4, 203.0.113.9"})) == "203.0.113.9"
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 2
    assert limits.client_ip(request_from(**{"X-Forwarded-For": "1.2.3.4, 203.0.113.9, 10.0.0.7"})) == "203.0.113.9"
    # Through fewer proxies than counted: the leftmost hop (a proxy of ours wrote it), not a 500.
    assert limits.client_ip(request_from(**{"X-Forwarded-For": "203.0.113.9"})) == "203.0.113.9"
    assert limits.client_ip(request_from()) == LB


def test_a_header_the_proxy_sets_wins_and_nonsense_is_not_an_address(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT, settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER = 1, "X-Real-IP"
    assert limits.client_ip(request_from(**{"X-Real-IP": "198.51.100.4", "X-Forwarded-For": "1.2.3.4"})) == "198.51.100.4"
    assert limits.client_ip(request_from(**{"X-Real-IP": "<script>"})) == LB
    assert limits.client_ip(request_from(**{"X-Real-IP": "1.2.3.4, 5.6.7.8"})) == LB
    assert limits.client_ip(request_from()) == LB


def test_an_ipv6_client_is_counted_by_its_network(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT, settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER = 0, None
    assert limits.client_address(request_from("2001:db8:1:2:aaaa::1")) == "2001:db8:1:2::"
    assert limits.client_address(request_from("2001:db8:1:2:bbbb::9")) == "2001:db8:1:2::"


@pytest.mark.parametrize("value", ["-1", "abc"])
def test_a_wrong_proxy_count_stops_the_portal(value):
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-c", "import portal.settings"], capture_output=True, text=True,
        env={**__import__("os").environ, "TRUSTED_PROXY_COUNT": value, "DJANGO_SETTINGS_MODULE": "portal.settings"},
    )
    assert run.returncode != 0


# -- The history CSV -------------------------------------------------------------------------


def test_thirty_csv_exports_an_hour_then_429_with_when(client, settings):
    member = MemberFactory()
    UsageRecordFactory(card=CardFactory(member=member))
    client.force_login(member)
    with time_machine.travel(datetime(2026, 11, 18, 18, 26, 40, tzinfo=JAPAN), tick=False):
        for _ in range(30):
            assert client.get("/history/export.csv").status_code == 200
        refused = client.get("/history/export.csv")
        other = MemberFactory()
        client.force_login(other)
        assert client.get("/history/export.csv").status_code == 200  # another member's count is their own
    assert refused.status_code == 429
    page = refused.content.decode()
    assert "利用履歴のCSVのダウンロードは1時間に30回までです。2026年11月18日 19:00以降にもう一度お試しください。" in page
    assert refused["Retry-After"] == str(33 * 60 + 20)
    assert "no-store" in refused["Cache-Control"]
    assert refused["Content-Type"].startswith("text/html")


def test_the_csv_limit_message_in_english(client, settings):
    settings.PORTAL_LIMITS = {**settings.PORTAL_LIMITS, "history_csv": (1, 3600)}
    client.force_login(MemberFactory())
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.get("/history/export.csv")
    page = client.get("/history/export.csv").content.decode()
    assert "You can download the usage history CSV up to 1 times an hour. Please try again after" in page


# -- The sign-in start, per client address --------------------------------------------------


@pytest.fixture
def sign_in_start(monkeypatch):
    """allauth's own sign-in start, which would send the visitor to WESTER ID."""
    from allauth.socialaccount.providers.openid_connect import views

    started = []
    monkeypatch.setattr(views, "login", lambda request, provider_id: started.append(provider_id) or HttpResponse("to WESTER ID"))
    return started


def test_the_sign_in_start_is_limited_per_client_address(client, settings, sign_in_start):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    settings.PORTAL_LIMITS = {**settings.PORTAL_LIMITS, "sign_in_start": (5, 60)}
    attacker = {"REMOTE_ADDR": LB, "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    someone = {"REMOTE_ADDR": LB, "HTTP_X_FORWARDED_FOR": "198.51.100.4"}
    answers = [client.post(START, **attacker).status_code for _ in range(7)]
    assert answers == [200] * 5 + [429] * 2
    assert len(sign_in_start) == 5  # nothing more reached allauth
    refused = client.post(START, **attacker)
    assert "ログインの操作が続いたため" in refused.content.decode() and refused["Retry-After"]
    # Another member behind the same load balancer signs in as usual.
    assert client.post(START, **someone).status_code == 200


def test_the_sign_in_start_limit_is_generous_by_default(settings):
    amount, seconds = settings.PORTAL_LIMITS["sign_in_start"]
    assert (amount, seconds) == (60, 60)


# -- Staff sign-in failures: per account and client address ---------------------------------


def staff_login(client, address: str, password: str):
    return client.post(
        "/accounts/login/", {"login": "agent-kato", "password": password},
        REMOTE_ADDR=LB, HTTP_X_FORWARDED_FOR=address,
    )


def test_one_clients_failures_lock_out_neither_another_client_nor_the_account_elsewhere(client, settings):
    """Behind the load balancer, with the client's address read from X-Forwarded-For: an
    attacker's wrong passwords for agent-kato lock the attacker out (allauth's
    ``login_failed``: 10 a minute per address, 5 in 5 minutes per account and address), while
    agent-kato and every other client still sign in from elsewhere."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    StaffFactory(username="agent-kato")
    StaffFactory(username="agent-ito")
    with time_machine.travel(datetime.now(UTC), tick=False):  # within the minute, however slow the machine
        for attempt in range(12):
            staff_login(client, "203.0.113.9", f"wrong {attempt}")

        locked = staff_login(client, "203.0.113.9", PASSWORD)
        assert locked.status_code in (200, 429) and "_auth_user_id" not in client.session

        elsewhere = staff_login(client, "198.51.100.4", PASSWORD)
        assert elsewhere.status_code == 302, elsewhere.content.decode()[:500]
        client.logout()
        other = client.post("/accounts/login/", {"login": "agent-ito", "password": PASSWORD},
                            REMOTE_ADDR=LB, HTTP_X_FORWARDED_FOR="198.51.100.77")
        assert other.status_code == 302


def test_without_the_proxy_setting_everyone_behind_the_balancer_is_one_client(client, settings):
    """Why TRUSTED_PROXY_COUNT matters: read from the connection, every client is the load
    balancer, and one attacker's failures lock everyone out."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    StaffFactory(username="agent-kato")
    with time_machine.travel(datetime.now(UTC), tick=False):  # within the minute, however slow the machine
        for attempt in range(12):
            staff_login(client, "203.0.113.9", f"wrong {attempt}")
        assert staff_login(client, "198.51.100.4", PASSWORD).status_code != 302


# -- While Redis is out ------------------------------------------------------------------------


def test_while_redis_is_out_the_cache_limits_let_requests_through(client, settings, caplog):
    portal_cache._Outage.retry_at = 0.0
    use_redis(settings, free_port())  # nothing listens there
    settings.PORTAL_LIMITS = {**settings.PORTAL_LIMITS, "history_csv": (1, 3600)}
    try:
        client.force_login(MemberFactory())
        for _ in range(3):
            assert client.get("/history/export.csv").status_code == 200
        assert any("limit not counted" in r.getMessage() for r in caplog.records)
    finally:
        portal_cache._Outage.retry_at, portal_cache._Outage.logged_at = 0.0, -portal_cache._LOG_EVERY


# -- Expired sessions, daily ------------------------------------------------------------------


def test_beat_clears_expired_sessions_daily(settings):
    from celery.schedules import crontab

    entry = settings.CELERY_BEAT_SCHEDULE["sessions-clear"]
    assert entry["task"] == "portal.tasks.sessions_clear"
    assert entry["schedule"] == crontab(hour=4, minute=20)
    from portal.celery import app

    app.loader.import_default_modules()
    assert "portal.tasks.sessions_clear" in app.tasks


def test_the_task_removes_expired_sessions_and_keeps_live_ones():
    from portal.tasks import sessions_clear

    now = timezone.now()
    Session.objects.create(session_key="e" * 32, session_data="x", expire_date=now - timedelta(minutes=1))
    Session.objects.create(session_key="l" * 32, session_data="x", expire_date=now + timedelta(minutes=30))
    sessions_clear.delay()
    assert list(Session.objects.values_list("session_key", flat=True)) == ["l" * 32]


def test_limits_count_within_a_clock_window(settings):
    settings.PORTAL_LIMITS = {**settings.PORTAL_LIMITS, "history_csv": (2, 3600)}
    start = 1_795_000_000.0 - (1_795_000_000.0 % 3600)
    limits.hit(limits.HISTORY_CSV, "m1", now=start)
    limits.hit(limits.HISTORY_CSV, "m1", now=start + 10)
    with pytest.raises(limits.LimitReached) as refused:
        limits.hit(limits.HISTORY_CSV, "m1", now=start + 20)
    assert refused.value.retry_at.timestamp() == start + 3600
    limits.hit(limits.HISTORY_CSV, "m1", now=start + 3600)  # the next hour
    limits.hit(limits.HISTORY_CSV, "m2", now=start + 20)  # someone else
