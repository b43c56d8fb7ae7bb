"""Every member page under the portal's Content-Security-Policy, in Chromium: no
violation anywhere (the ``page`` fixture fails a test on any; conftest.py's
CSPViolations), signing in and out through WESTER ID included (form posts that
redirect to the provider, which the policy's form-action allows)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.services import member_get_or_create
from billing.tests.factories import PaymentMethodFactory
from cards.tests.factories import CardFactory, PointsEntryFactory, UsageRecordFactory
from support.tests.helpers import document
from tests.e2e.test_sign_in import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_every_member_page_loads_without_a_csp_violation(page, live_server, wester_id, csp_violations):
    member, _ = member_get_or_create(wester_id="demo-hanako")
    card = CardFactory(member=member, nickname="仕事用")
    UsageRecordFactory(card=card)
    PointsEntryFactory(member=member, points=100)
    method = PaymentMethodFactory(member=member)
    receipt = document(member, number="R-2026-0000001")
    sign_in(page, live_server, "demo-hanako")
    expect(page.get_by_role("heading", name="マイページ")).to_be_visible()

    for url in [
        "/", f"/cards/{card.public_id}/", "/history/", "/points/", "/help/", "/payment-methods/",
        f"/payment-methods/{method.public_id}/remove/", "/settings/", "/lost-device/", "/documents/",
        f"/documents/{receipt.public_id}/", "/refunds/", "/accounts/sessions/", "/no-such-page/",
    ]:
        response = page.goto(live_server.url + url)
        assert "default-src 'self'" in response.headers["content-security-policy"], url
        expect(page.locator("link[rel=stylesheet]").first).to_be_attached()
        # The style sheet applied (not blocked): the header bar has its colour, not the default.
        assert page.locator(".site-header").evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)", url
    assert not csp_violations, csp_violations

    # The payment provider's page (the sandbox here) and back.
    page.goto(live_server.url + "/payment-methods/")
    page.get_by_role("button", name=re.compile("カードを登録")).first.click()
    expect(page).to_have_url(re.compile(r"/sandbox-pay/pay/"))
    page.go_back()

    page.goto(live_server.url + "/")
    page.get_by_role("button", name="ログアウト").click()
    expect(page).to_have_url(re.compile(r"/oauth2/end_session"))


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
