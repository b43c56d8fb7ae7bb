"""マイページ shows the previous sign-in (time and device), not the current one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from accounts.devices import device_label
from accounts.services import member_sign_in

pytestmark = pytest.mark.django_db

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.5 Mobile/15E148 Safari/604.1")
WINDOWS_EDGE = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 "
                "Safari/537.36 Edg/126.0")


@pytest.mark.parametrize(
    ("user_agent", "label"),
    [
        (IPHONE, "iPhone・Safari"),
        (WINDOWS_EDGE, "Windows・Edge"),
        ("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36", "Android・Chrome"),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5; rv:127.0) Gecko/20100101 Firefox/127.0", "Mac・Firefox"),
        ("curl/8.5", ""),
        ("", ""),
        (None, ""),
        ("<script>" * 200, ""),
    ],
)
def test_device_label(user_agent, label):
    assert device_label(user_agent) == label


def test_each_sign_in_keeps_the_one_before(client):
    with time_machine.travel(datetime(2026, 11, 1, 0, 5, tzinfo=UTC), tick=False):
        member = member_sign_in(wester_id="sub-1", claims={"name": "山田 花子"}, device="Windows・Edge")
    assert member.previous_signed_in_at is None
    client.force_login(member)
    page = client.get("/").content.decode()
    assert "今回がはじめてのログインです" in page

    with time_machine.travel(datetime(2026, 11, 3, 12, 0, tzinfo=UTC), tick=False):
        member = member_sign_in(wester_id="sub-1", claims={}, device="iPhone・Safari")
    assert member.previous_sign_in_device == "Windows・Edge"
    assert member.last_sign_in_device == "iPhone・Safari"
    client.force_login(member)
    page = client.get("/").content.decode()
    assert "前回のログイン" in page and "2026/11/1 09:05（Windows・Edge）" in page
    assert "2026/11/3" not in page  # the current sign-in is not the news
    client.cookies["django_language"] = "en"
    assert "1 Nov 2026 09:05" in client.get("/").content.decode()


def test_the_sign_in_records_the_browser(client, rf, monkeypatch):
    """Through the adapter: the User-Agent of the sign-in request, in words."""
    from allauth.socialaccount.models import SocialAccount, SocialLogin

    from accounts.adapters import WesterIdAdapter

    request = rf.get("/accounts/oidc/wester-id/login/callback/", HTTP_USER_AGENT=IPHONE)
    request.session = client.session
    login = SocialLogin(account=SocialAccount(provider="wester-id", uid="sub-9", extra_data={"name": "x"}))
    monkeypatch.setattr(SocialLogin, "connect", lambda self, request, user: None)
    WesterIdAdapter().pre_social_login(request, login)
    from accounts.models import Member

    assert Member.objects.get(wester_id="sub-9").last_sign_in_device == "iPhone・Safari"
