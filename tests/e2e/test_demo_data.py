"""The demo data agrees with itself in Chromium: the card Hanako's history says paid for her
pass is one of her 決済用カード."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.e2e.test_sign_in import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_card_the_history_shows_is_a_registered_payment_card(page, live_server, wester_id, tmp_path, axe_check):
    call_command("seed_demo", "--output", str(tmp_path / "demo.jsonl"), stdout=io.StringIO(), stderr=io.StringIO())
    sign_in(page, live_server, "demo-hanako")
    expect(page.get_by_role("button", name="ログアウト", include_hidden=True)).to_be_attached()  # signed in (in the folded menu)

    page.goto(live_server.url + "/history/?kind=pass")
    expect(page.get_by_role("main")).to_contain_text("VISA ••••4242")
    axe_check(page)

    page.goto(live_server.url + "/payment-methods/")
    expect(page.get_by_text("登録されている決済用カードはありません。")).to_have_count(0)
    visa = page.locator(".pm").filter(has_text="VISA ••••4242")
    expect(visa).to_contain_text("HANAKO YAMADA")
    expect(page.locator(".pm").filter(has_text="Mastercard ••••4444")).to_be_visible()
    expect(page.locator(".pm--default")).to_have_count(1)
    axe_check(page)
