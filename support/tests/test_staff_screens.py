"""Staff screens in Japanese: other apps' models, groups by their Japanese
names, one 「最終ログイン」 on a staff form, a feed-only member by WESTER ID."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.tests.factories import MemberFactory
from support import roles
from support.tests.helpers import agent, staff_in

pytestmark = pytest.mark.django_db


def _english(html: str) -> set[str]:
    return {w for w in re.findall(r">\s*([A-Za-z][A-Za-z ]{3,})\s*<", html) if w not in ("ICOCA", "WESTER ID")}


@pytest.mark.parametrize(
    "url", ["/admin/", "/admin/mfa/authenticator/", "/admin/usersessions/usersession/", "/admin/auth/group/"]
)
def test_operator_screens_have_no_english_names(client, url):
    client.force_login(staff_in(None, superuser=True))
    html = client.get(url).content.decode()
    assert not {"Authenticators", "User sessions", "Created at", "Last used at", "Display name"} & _english(html)


def test_groups_are_shown_by_their_japanese_names(client):
    operator = staff_in(None, superuser=True)
    desk = agent(username="desk-9")
    client.force_login(operator)
    groups = client.get("/admin/auth/group/").content.decode()
    assert "サポート担当" in groups and "サポート監督者" in groups and "サポート運用担当" in groups
    form = client.get(reverse("admin:accounts_member_change", args=[desk.pk])).content.decode()
    assert f'<option value="{Group.objects.get(name=roles.AGENT).pk}" selected>サポート担当</option>' in form
    assert form.count("最終ログイン") == 1
    assert "DISPLAY NAME" not in client.get("/admin/accounts/member/").content.decode().upper().replace("氏名", "")


def test_a_member_known_only_from_the_feed_is_shown_by_wester_id(client):
    MemberFactory(wester_id="9ed6aa01", name="", last_name="", first_name="", username="member-9ed6aa01",
                  last_signed_in_at=None)
    client.force_login(agent())
    html = client.get(reverse("admin:accounts_member_changelist"), {"q": "9ed6aa01"}).content.decode()
    assert "未ログインの会員（WESTER ID 9ed6aa01）" in html
    assert "member-9ed6aa01" not in html
