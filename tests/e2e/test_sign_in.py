"""Sign-in, sign-out and a cancelled sign-in through the real local WESTER ID
provider, in Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Member
from tests.e2e.menu import main_menu

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, sub: str) -> None:
    page.goto(live_server.url + "/")
    page.get_by_role("button", name="WESTER IDでログイン").click()
    page.get_by_role("button", name=sub, exact=True).click()


def test_member_signs_in_and_sees_their_name(page, live_server, wester_id):
    sign_in(page, live_server, "demo-hanako")

    expect(page.get_by_role("heading", name="マイページ")).to_be_visible()
    expect(page.get_by_text("山田 花子 さん、こんにちは。")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("山田 花子")
    expect(page.locator("body")).not_to_contain_text("member-")
    member = Member.objects.get(wester_id="demo-hanako")
    assert member.email == "hanako.yamada@example.jp"
    assert not member.has_usable_password()


def test_member_signs_out_of_portal_and_provider(page, live_server, wester_id):
    sign_in(page, live_server, "demo-taro")
    expect(page.get_by_text("田中 太郎 さん、こんにちは。")).to_be_visible()

    main_menu(page).get_by_role("button", name="ログアウト").click()
    # The provider's end-session page (the local one always asks for confirmation)
    # sends the member back to the portal's sign-in page.
    expect(page).to_have_url(re.compile(r"/oauth2/end_session\?.*id_token_hint="))
    # The provider got the ID token of this sign-in (the page lists what it was sent).
    expect(page.locator("body")).not_to_contain_text("id_token_hint not set")
    page.get_by_text("Request parameters").click()
    expect(page.locator("dt", has_text="id_token_hint")).to_be_visible()
    page.get_by_role("button", name=re.compile("Log out|Logout|Sign out|End session|Confirm", re.I)).click()
    expect(page.get_by_role("button", name="WESTER IDでログイン")).to_be_visible()
    page.goto(live_server.url + "/")
    expect(page.get_by_role("button", name="WESTER IDでログイン")).to_be_visible()


def test_cancelled_sign_in_returns_to_a_clear_page(page, live_server, wester_id):
    page.goto(live_server.url + "/")
    page.get_by_role("button", name="WESTER IDでログイン").click()
    page.get_by_role("button", name="Deny").click()

    expect(page.get_by_role("heading", name="ログインを中止しました")).to_be_visible()
    expect(page.get_by_role("link", name="ログイン画面へ戻る")).to_have_attribute("href", "/")
    page.get_by_role("link", name="ログイン画面へ戻る").click()
    expect(page.get_by_role("button", name="WESTER IDでログイン")).to_be_visible()
    assert not Member.objects.filter(wester_id__isnull=False).exists()


def test_a_cancelled_sign_in_keeps_the_deep_link(page, live_server, wester_id):
    """Cancel at WESTER ID, 「ログイン画面へ戻る」, sign in: the page first asked for."""
    page.goto(live_server.url + "/points/")
    page.get_by_role("button", name="WESTER IDでログイン").click()
    page.get_by_role("button", name="Deny").click()
    expect(page.get_by_role("heading", name="ログインを中止しました")).to_be_visible()
    expect(page.get_by_role("link", name="ログイン画面へ戻る")).to_have_attribute("href", "/?next=/points/")
    page.get_by_role("link", name="ログイン画面へ戻る").click()
    sign_in_here(page, "demo-hanako")
    expect(page).to_have_url(live_server.url + "/points/")
    expect(page.get_by_role("heading", name="WESTERポイント", level=1)).to_be_visible()


def test_a_member_who_chose_english_gets_english_on_a_new_phone(page, live_server, wester_id):
    """The language saved at /settings/ applies at sign-in on a browser that has never used
    the language switch; signed out, the site is Japanese again."""
    from accounts.tests.factories import MemberFactory
    from conftest import ARTIFACTS

    MemberFactory(wester_id="demo-emily", name="Emily Carter", language="en")
    sign_in(page, live_server, "demo-emily")
    expect(page.get_by_role("heading", name="My page")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Successfully signed in as Emily Carter")
    assert page.locator("html").get_attribute("lang") == "en"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "sign-in-english-home-360.png"), full_page=True)
    page.goto(live_server.url + "/history/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.screenshot(path=str(ARTIFACTS / "sign-in-english-history-360.png"), full_page=True)


def test_a_deep_link_comes_back_after_signing_in(page, live_server, wester_id):
    """The link in a document e-mail, opened signed out: WESTER ID, then that
    document, not マイページ. Then /points/ the same way."""
    from accounts.tests.factories import MemberFactory
    from billing.models import Document

    hanako = MemberFactory(wester_id="demo-hanako", name="山田 花子")
    document = Document.objects.create(
        member=hanako, kind="receipt", number="R-202611-000042", language="ja", total_amount=0,
        issuer_name="x", issuer_registration_number="T1234567890123", content={"lines": [], "total": 0},
    )
    page.goto(f"{live_server.url}/documents/{document.public_id}/")
    expect(page).to_have_url(f"{live_server.url}/?next=/documents/{document.public_id}/")
    sign_in_here(page, "demo-hanako")

    expect(page).to_have_url(f"{live_server.url}/documents/{document.public_id}/")
    expect(page.get_by_text("R-202611-000042")).to_be_visible()

    page.context.clear_cookies()
    page.goto(live_server.url + "/points/")
    sign_in_here(page, "demo-hanako")
    expect(page).to_have_url(live_server.url + "/points/")
    expect(page.get_by_role("heading", name="WESTERポイント")).to_be_visible()


def test_a_next_to_another_site_lands_on_my_page(page, live_server, wester_id):
    page.goto(live_server.url + "/?next=https://evil.example/")
    sign_in_here(page, "demo-hanako")
    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("heading", name="マイページ")).to_be_visible()


def sign_in_here(page, sub: str) -> None:
    """Sign in from the page the browser is on (the sign-in page with its ``next``)."""
    page.get_by_role("button", name="WESTER IDでログイン").click()
    page.get_by_role("button", name=sub, exact=True).click()
