"""Every member page under the portal's Content-Security-Policy, in Chromium: no
violation anywhere (the ``page`` fixture fails a test on any; conftest.py's
CSPViolations), signing in and out through WESTER ID included (form posts that
redirect to the provider, which the policy's form-action allows), the sandbox
payment page, a 404 and a 429 page, and the support center (the admin)."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.totp.internal.auth import generate_totp_secret
from playwright.sync_api import expect

from accounts.services import member_get_or_create
from cards.tests.factories import PointsEntryFactory
from portal.tests.test_headers import member_urls
from support.tests.helpers import supervisor
from tests.e2e.menu import main_menu
from tests.e2e.test_sign_in import sign_in
from tests.e2e.test_support import staff_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# Files and JSON, not pages: opened by a download or a script, not by the browser as a page.
NOT_PAGES = ("/history/export.csv", "/status/", "/download/")


def test_every_member_page_loads_without_a_csp_violation(page, live_server, wester_id, csp_violations, settings,
                                                         axe_check):
    member, _ = member_get_or_create(wester_id="demo-hanako")
    urls = [url for url in member_urls(member) if not url.endswith(NOT_PAGES)]  # every member page (test_headers)
    card = member.cards.first()
    card.nickname = "仕事用"
    card.save(update_fields=["nickname"])
    PointsEntryFactory(member=member, points=100)
    sign_in(page, live_server, "demo-hanako")
    expect(page.get_by_role("heading", name="マイページ")).to_be_visible()

    for url in [*urls, "/no-such-page/"]:
        response = page.goto(live_server.url + url)
        assert response.status == (404 if url == "/no-such-page/" else 200), url
        assert_styled_under_the_policy(page, response, url)
    assert not csp_violations, csp_violations

    # A limit's 429 page.
    settings.PORTAL_LIMITS = {**settings.PORTAL_LIMITS, "history_csv": (0, 3600)}
    response = page.goto(live_server.url + "/history/export.csv")
    assert response.status == 429
    assert_styled_under_the_policy(page, response, "429")
    expect(page.get_by_text("利用履歴のCSVのダウンロードは1時間に0回までです。")).to_be_visible()
    axe_check(page)

    # The payment provider's page (the sandbox here) and back.
    page.goto(live_server.url + "/payment-methods/")
    page.get_by_role("button", name=re.compile("カードを登録")).first.click()
    expect(page).to_have_url(re.compile(r"/sandbox-pay/pay/"))
    assert page.locator("link[rel=stylesheet]").count() >= 1
    page.go_back()

    page.goto(live_server.url + "/")
    main_menu(page).get_by_role("button", name="ログアウト").click()
    expect(page).to_have_url(re.compile(r"/oauth2/end_session"))


def assert_styled_under_the_policy(page, response, url) -> None:
    assert "default-src 'self'" in response.headers["content-security-policy"], url
    expect(page.locator("link[rel=stylesheet]").first).to_be_attached()
    # The style sheet applied (not blocked): the header bar has its colour, not the default.
    assert page.locator(".site-header").evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)", url


def test_the_support_center_loads_without_a_csp_violation(page, live_server, csp_violations):
    """The admin (support center) pages under the same policy: sign-in, TOTP, lists, a member."""
    secret = generate_totp_secret()
    supervisor(username="sv-csp", secret=secret)
    member, _ = member_get_or_create(wester_id="demo-taro")
    staff_sign_in(page, live_server, "sv-csp", secret)
    for url in ("/admin/", "/admin/accounts/member/", f"/admin/accounts/member/{member.pk}/change/",
                "/admin/billing/document/", "/admin/no-such-page/"):
        response = page.goto(live_server.url + url)
        assert response.status in (200, 302, 404), url
        assert "default-src 'self'" in response.headers["content-security-policy"], url
        expect(page.locator("link[rel=stylesheet]").first).to_be_attached()
    assert not csp_violations, csp_violations


def test_the_watcher_sees_a_violation(page, live_server, csp_violations):
    """What the page fixture relies on: an inline script under the portal's policy is reported."""
    policy = None

    def serve_with_inline_script(route):
        nonlocal policy
        response = route.fetch()
        policy = response.headers["content-security-policy"]
        route.fulfill(response=response, body="<!DOCTYPE html><p style='color:red'>x</p><script>document.title='ran'</script>")

    page.route(live_server.url + "/help/", serve_with_inline_script)
    page.goto(live_server.url + "/help/")
    page.wait_for_timeout(200)
    assert policy and "script-src 'self'" in policy
    assert page.title() != "ran"
    assert any("script-src" in v for v in csp_violations), csp_violations
    assert any("style-src" in v for v in csp_violations), csp_violations
    csp_violations.clear()  # seen: the test itself must not fail on them
