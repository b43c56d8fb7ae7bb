"""WESTER ID sign-in with the real local provider over HTTP."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Member
from accounts.services import member_get_or_create
from accounts.sessions import SIGNED_IN_AT
from accounts.tests.factories import MemberFactory
from accounts.tests.oidc import follow_callback, provider_answer, provider_set_claims, sign_in, start_sign_in

pytestmark = pytest.mark.django_db


def test_the_sign_in_request_uses_pkce_and_state(client, wester_id):
    query = parse_qs(urlparse(start_sign_in(client)).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43
    assert query["state"][0]
    assert set(query["scope"][0].split()) >= {"openid", "profile", "email"}
    assert query["redirect_uri"] == ["http://testserver/accounts/oidc/wester-id/login/callback/"]


def test_first_sign_in_creates_the_member_from_the_claims(client, wester_id):
    provider_set_claims(wester_id, "sub-first", name="佐藤 健", email="ken@example.jp")

    response = sign_in(client, "sub-first")

    assert response.status_code == 302 and response["Location"] == "/"
    member = Member.objects.get(wester_id="sub-first")
    assert (member.name, member.email) == ("佐藤 健", "ken@example.jp")
    assert not member.has_usable_password()
    home = client.get("/")
    assert "佐藤 健 さん、こんにちは。" in home.content.decode()


def test_a_member_created_by_the_feed_is_linked_at_first_sign_in(client, wester_id):
    fed, created = member_get_or_create(wester_id="sub-from-feed")
    assert created and fed.name == ""
    provider_set_claims(wester_id, "sub-from-feed", name="鈴木 一郎", email="ichiro@example.jp")

    sign_in(client, "sub-from-feed")

    assert Member.objects.filter(wester_id="sub-from-feed").count() == 1
    fed.refresh_from_db()
    assert fed.name == "鈴木 一郎"
    assert int(client.session["_auth_user_id"]) == fed.pk


def test_name_and_email_are_refreshed_at_every_sign_in(client, wester_id):
    provider_set_claims(wester_id, "sub-moves", name="旧姓 花", email="old@example.jp")
    sign_in(client, "sub-moves")
    client.post("/accounts/logout/")
    provider_set_claims(wester_id, "sub-moves", name="新姓 花", email="new@example.jp")

    sign_in(client, "sub-moves")

    member = Member.objects.get(wester_id="sub-moves")
    assert (member.name, member.email) == ("新姓 花", "new@example.jp")


def test_identity_is_the_sub_never_the_email(client, wester_id):
    provider_set_claims(wester_id, "sub-a", name="A", email="shared@example.jp")
    provider_set_claims(wester_id, "sub-b", name="B", email="shared@example.jp")
    sign_in(client, "sub-a")
    client.post("/accounts/logout/")

    sign_in(client, "sub-b")

    assert Member.objects.filter(email="shared@example.jp").count() == 2
    assert Member.objects.get(pk=client.session["_auth_user_id"]).wester_id == "sub-b"


def test_sign_in_starts_a_new_session(client, wester_id):
    client.get("/")
    session = client.session
    session["before"] = "x"
    session.save()
    before = session.session_key

    sign_in(client, "demo-hanako")

    assert client.session.session_key != before


def test_a_cancelled_sign_in_shows_a_clear_page(client, wester_id):
    response = follow_callback(client, provider_answer(start_sign_in(client), deny=True))

    assert "ログインを中止しました" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_tampered_state_is_refused(client, wester_id):
    callback = provider_answer(start_sign_in(client), sub="demo-hanako")
    tampered = callback.replace("state=", "state=x")

    response = follow_callback(client, tampered)

    assert "ログインできませんでした" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not Member.objects.filter(wester_id="demo-hanako").exists()


def test_an_unreachable_provider_gives_a_clear_page_not_a_stack_trace(client, settings, wester_id):
    app = settings.SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"][0]
    app["settings"] = {**app["settings"], "server_url": "http://127.0.0.1:9"}

    response = client.post("/accounts/oidc/wester-id/login/")

    assert response.status_code in (200, 400, 401, 502, 503)
    assert "ログインできませんでした" in response.content.decode()


def test_sessions_end_twelve_hours_after_sign_in(client, wester_id):
    sign_in(client, "demo-taro")
    session = client.session
    session[SIGNED_IN_AT] = int(time.time()) - 12 * 3600 - 1
    session.save()

    response = client.get("/", follow=True)

    assert "_auth_user_id" not in client.session
    assert "12時間" in response.content.decode()
    assert "WESTER IDでログイン" in response.content.decode()


LOCAL_CACHE = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}  # expires on the travelled clock


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_sessions_idle_out_after_thirty_minutes(client, settings):
    settings.CACHES = LOCAL_CACHE
    settings.SESSION_TOUCH_SECONDS = 60
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    with time_machine.travel(datetime(2026, 12, 1, 10, 0, tzinfo=UTC), tick=False) as clock:
        client.force_login(MemberFactory())
        for _ in range(4):  # reading pages for 100 minutes, 25 minutes apart
            clock.shift(timedelta(minutes=25))
            assert client.get("/").status_code == 200 and _signed_in(client)
        clock.shift(timedelta(minutes=30, seconds=1))
        client.get("/")
        assert not _signed_in(client)


def test_a_page_within_a_minute_of_the_last_save_writes_no_session(client, settings):
    settings.CACHES = LOCAL_CACHE
    settings.SESSION_TOUCH_SECONDS = 60
    with time_machine.travel(datetime(2026, 12, 1, 10, 0, tzinfo=UTC), tick=False) as clock:
        client.force_login(MemberFactory())
        client.get("/")
        key = client.session.session_key
        saved = Session.objects.get(session_key=key).expire_date

        clock.shift(timedelta(seconds=59))
        with CaptureQueriesContext(connection) as queries:
            client.get("/")
        assert not [q for q in queries.captured_queries if "django_session" in q["sql"]]
        assert Session.objects.get(session_key=key).expire_date == saved

        clock.shift(timedelta(seconds=2))
        client.get("/")
        assert Session.objects.get(session_key=key).expire_date == saved + timedelta(seconds=61)


def test_a_visitor_without_a_session_gets_none_made(client):
    response = client.get("/help/")
    assert response.status_code == 200
    assert django_settings.SESSION_COOKIE_NAME not in response.cookies


def test_sign_out_ends_the_session_and_goes_to_the_providers_end_session(client, wester_id):
    sign_in(client, "demo-emily")

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    location = urlparse(response["Location"])
    assert f"{location.scheme}://{location.netloc}" == wester_id
    assert location.path == "/oauth2/end_session"
    query = parse_qs(location.query)
    assert query["post_logout_redirect_uri"] == ["http://testserver/"]
    assert query["client_id"] == ["icoca-portal-local"]
    assert "_auth_user_id" not in client.session


def test_a_deep_link_survives_the_sign_in(client, wester_id):
    """A page that needs a sign-in sends the visitor to ``/?next=…``; the sign-in
    form carries ``next`` through WESTER ID and back to that page."""
    asked = client.get("/points/?page=2")
    assert asked.status_code == 302 and asked["Location"] == "/?next=/points/%3Fpage%3D2"
    form = client.get(asked["Location"]).content.decode()
    assert '<input type="hidden" name="next" value="/points/?page=2">' in form

    response = sign_in(client, "demo-hanako", next_url="/points/?page=2")

    assert response.status_code == 302 and response["Location"] == "/points/?page=2"


@pytest.mark.parametrize(
    "elsewhere",
    ["https://evil.example/", "//evil.example/points/", "/\\evil.example/", "http://testserver/points/",
     "javascript:alert(1)", "points/"],
)
def test_next_is_only_ever_a_path_on_this_site(client, wester_id, elsewhere):
    form = client.get("/", {"next": elsewhere}).content.decode()
    assert '<input type="hidden" name="next"' not in form  # the sign-in form's; the language switch has its own

    response = sign_in(client, "demo-hanako", next_url=elsewhere)

    assert response.status_code == 302 and response["Location"] == "/"


def test_a_session_past_twelve_hours_comes_back_to_the_page_asked_for(client, wester_id):
    sign_in(client, "demo-taro")
    session = client.session
    session[SIGNED_IN_AT] = int(time.time()) - 12 * 3600 - 1
    session.save()

    response = client.get("/points/")

    assert response.status_code == 302 and response["Location"] == "/?next=/points/"
    assert "_auth_user_id" not in client.session
    assert sign_in(client, "demo-taro", next_url="/points/")["Location"] == "/points/"
