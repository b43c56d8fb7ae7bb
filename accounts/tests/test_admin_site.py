"""The support center's admin: staff only, through allauth, TOTP required."""

from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)

from accounts.tests.factories import MemberFactory, StaffFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def current_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


def test_anonymous_visitors_are_sent_to_the_staff_sign_in(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    follow = client.get(response["Location"])
    assert follow.status_code == 302
    assert follow["Location"].startswith("/accounts/login/?next=")


def test_members_get_a_404_at_the_admin(client):
    client.force_login(MemberFactory())
    assert client.get("/admin/").status_code == 404
    assert client.get("/admin/accounts/member/").status_code == 404


def test_staff_without_totp_must_set_it_up_before_seeing_anything(client):
    staff = StaffFactory(is_superuser=True)
    client.force_login(staff)

    for url in ("/admin/", "/admin/accounts/member/", f"/admin/accounts/member/{staff.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == "/accounts/2fa/totp/activate/"


def test_staff_with_totp_see_the_admin(client):
    staff = StaffFactory(is_superuser=True)
    TOTP.activate(staff, generate_totp_secret())
    client.force_login(staff)

    response = client.get("/admin/")

    assert response.status_code == 200
    assert "サポートセンター" in response.content.decode()


def test_staff_sign_in_asks_for_the_totp_code(client):
    staff = StaffFactory(username="agent-sato", is_superuser=True)
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)

    response = client.post("/accounts/login/?next=/admin/", {"login": "agent-sato", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/authenticate")
    assert "_auth_user_id" not in client.session
    wrong = client.post(response["Location"], {"code": "000000"})
    assert "_auth_user_id" not in client.session
    assert wrong.status_code == 200
    right = client.post(response["Location"], {"code": current_code(secret)})

    assert right.status_code == 302 and right["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_wrong_password_does_not_sign_in(client):
    StaffFactory(username="agent-ito")
    response = client.post("/accounts/login/", {"login": "agent-ito", "password": "wrong password"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_members_cannot_sign_in_with_a_password(client):
    member = MemberFactory()
    response = client.post("/accounts/login/", {"login": member.username, "password": ""})
    assert "_auth_user_id" not in client.session
    assert response.status_code == 200


def test_failed_staff_sign_ins_are_rate_limited(client):
    StaffFactory(username="agent-kato")
    for attempt in range(6):
        client.post("/accounts/login/", {"login": "agent-kato", "password": f"wrong {attempt}"})

    response = client.post("/accounts/login/", {"login": "agent-kato", "password": PASSWORD})

    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 429)


def test_the_staff_sign_in_page_offers_no_sign_up_and_points_members_to_wester_id(client):
    page = client.get("/accounts/login/").content.decode()
    assert "サポートセンター ログイン" in page
    assert "/accounts/signup/" not in page
    assert 'autocomplete="current-password"' in page
    assert "WESTER IDでログイン" in page


def test_admin_lists_never_count_a_whole_table(client, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.admin_site import BoundedCountPaginator
    from accounts.services import audit_record

    monkeypatch.setattr(BoundedCountPaginator, "CAP", 5)
    member = MemberFactory()
    for _ in range(8):
        audit_record(actor=member, member=member, action="card.rename")
    staff = StaffFactory(is_superuser=True)
    TOTP.activate(staff, generate_totp_secret())
    client.force_login(staff)

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/admin/accounts/auditevent/")

    assert response.status_code == 200
    assert response.context["cl"].result_count == 5
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts and all("LIMIT" in sql.upper() for sql in counts)


def operator_client(client):
    operator = StaffFactory(username="operator", is_superuser=True)
    TOTP.activate(operator, generate_totp_secret())
    client.force_login(operator)
    return client


def test_the_admin_sets_no_password_and_no_e_mail_for_a_member(client):
    member = MemberFactory(email="hanako@example.jp")
    operator_client(client)

    assert client.get(f"/admin/accounts/member/{member.pk}/password/").status_code == 404
    assert client.post(
        f"/admin/accounts/member/{member.pk}/password/",
        {"password1": "a brand new pass phrase 77", "password2": "a brand new pass phrase 77"},
    ).status_code == 404
    client.post(f"/admin/accounts/member/{member.pk}/change/", {"email": "attacker@example.net", "language": "ja"})
    member.refresh_from_db()
    assert member.email == "hanako@example.jp"
    assert not member.has_usable_password()


def test_an_operator_resets_a_staff_password_in_the_admin(client):
    staff = StaffFactory(username="agent-forgot")
    operator_client(client)

    response = client.post(
        f"/admin/accounts/member/{staff.pk}/password/",
        {"password1": "a brand new pass phrase 77", "password2": "a brand new pass phrase 77"},
    )

    assert response.status_code == 302
    staff.refresh_from_db()
    assert staff.check_password("a brand new pass phrase 77")


def test_the_staff_sign_in_page_says_an_operator_resets_a_password_not_an_e_mail(client):
    page = client.get("/accounts/login/").content.decode()
    assert "スタッフのパスワードはメールでは再設定できません" in page
    assert "運用担当者が再設定します" in page
    assert "/accounts/password/reset/" not in page
    client.cookies["django_language"] = "en"
    english = client.get("/accounts/login/")
    assert "A staff password cannot be reset by e-mail" in english.content.decode()


def fresh_code(secret: str) -> str:
    """The current TOTP code, with at least 5 seconds of its 30 left: a code
    taken just before the boundary may expire before the form is sent."""
    import time

    left = 30 - time.time() % 30
    if left < 5:
        time.sleep(left + 0.2)
    return current_code(secret)


def test_the_first_staff_sign_in_asks_for_the_password_once_then_sets_up_totp(client):
    StaffFactory(username="agent-new")

    signed_in = client.post("/accounts/login/?next=/admin/", {"login": "agent-new", "password": PASSWORD})
    assert signed_in.status_code == 302 and signed_in["Location"] == "/admin/"
    to_totp = client.get("/admin/")
    assert to_totp["Location"] == "/accounts/2fa/totp/activate/"

    page = client.get(to_totp["Location"])

    assert page.status_code == 200, page.get("Location")  # not 「アクセス確認」 (reauthenticate) again
    html = page.content.decode()
    assert 'name="code"' in html
    assert "サポートセンターへ" in html and "マイページ" not in html  # the staff layout, not the member menu


def test_a_password_checked_long_ago_is_not_recent(client, monkeypatch):
    import time

    StaffFactory(username="agent-slow")
    client.post("/accounts/login/?next=/admin/", {"login": "agent-slow", "password": PASSWORD})
    later = time.time() + 3600
    monkeypatch.setattr(time, "time", lambda: later)

    response = client.get("/accounts/2fa/totp/activate/")

    assert response.status_code == 302 and "/reauthenticate/" in response["Location"]


def test_recovery_codes_lead_on_to_the_support_center_in_the_staff_layout(client):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    staff = StaffFactory(username="agent-codes")
    TOTP.activate(staff, generate_totp_secret())
    RecoveryCodes.activate(staff)
    client.post("/accounts/login/", {"login": "agent-codes", "password": PASSWORD})
    client.force_login(staff)
    session = client.session
    session["account_authentication_methods"] = [{"method": "password", "at": __import__("time").time(),
                                                  "reauthenticated": True}]
    session["account_authentication_methods_user"] = str(staff.pk)
    session.save()

    html = client.get("/accounts/2fa/recovery-codes/").content.decode()

    assert 'href="/admin/"' in html and "サポートセンターへ進む" in html
    assert "マイページ" not in html and "利用履歴" not in html


def test_the_staff_sign_in_page_uses_the_staff_layout(client):
    html = client.get("/accounts/login/").content.decode()
    assert "staff-layout" in html and "マイページ" not in html


def test_the_front_page_sends_staff_to_the_admin(client):
    staff = StaffFactory()
    TOTP.activate(staff, generate_totp_secret())
    client.force_login(staff)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_the_front_page_still_shows_a_member_their_page(client):
    client.force_login(MemberFactory())
    assert client.get("/").status_code == 200
