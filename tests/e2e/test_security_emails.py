"""Security-relevant changes made in Chromium are confirmed by e-mail, after commit,
through the mail task, in the member's language (the live server shares this process, so
Django's test outbox holds what was sent)."""

from __future__ import annotations

import re

import pytest
from django.core import mail as outbox
from playwright.sync_api import expect

from accounts.services import member_get_or_create
from cards.models import Device
from cards.tests.factories import CardFactory
from tests.e2e.test_payment_methods import enter_card, open_payment_methods
from tests.e2e.test_sign_in import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_lost_device_is_confirmed_by_e_mail(page, live_server, wester_id, axe_check):
    member, _ = member_get_or_create(wester_id="demo-hanako")
    CardFactory(member=member, nickname="仕事用", device=Device.IPHONE, icoca_number="JW0000000000A4321")
    sign_in(page, live_server, "demo-hanako")
    expect(page.get_by_role("button", name="ログアウト", include_hidden=True)).to_be_attached()  # signed in (in the folded menu)
    page.goto(live_server.url + "/lost-device/")
    page.get_by_role("radio", name=re.compile("iPhone")).check()
    page.get_by_role("button", name=re.compile("次へ")).click()
    assert outbox.outbox == []
    axe_check(page)
    page.get_by_role("button", name="利用を停止して再発行登録する").click()
    expect(page.get_by_role("heading", name="再発行登録を受け付けました")).to_be_visible()
    axe_check(page)

    (message,) = outbox.outbox
    assert message.to == ["hanako.yamada@example.jp"]
    assert message.subject == "【重要】ICOCAの利用を停止しました（紛失・故障の届け出）"
    assert "仕事用（JW••••4321）" in message.body and "お心当たりのない場合は" in message.body


def test_card_registered_default_and_removed_are_confirmed_in_english(page, live_server, wester_id, axe_check):
    open_payment_methods(page, live_server)
    member, _ = member_get_or_create(wester_id="demo-hanako")
    member.language = "en"
    member.save(update_fields=["language"])
    enter_card(page, "4100000000000100")
    expect(page.get_by_role("status")).to_contain_text("VISA ••••0100")
    enter_card(page, "3528000000000106")
    expect(page.get_by_role("status")).to_contain_text("JCB ••••0106")
    page.locator(".pm").filter(has_text="JCB ••••0106").get_by_role("button", name="デフォルトにする").click()
    expect(page.get_by_role("status")).to_contain_text("デフォルトのカードを JCB ••••0106 にしました。")
    page.locator(".pm").filter(has_text="VISA ••••0100").get_by_role("link", name="削除").click()
    axe_check(page)
    page.get_by_role("button", name="削除する").click()
    expect(page.get_by_role("status")).to_contain_text("VISA ••••0100 を削除しました。")
    axe_check(page)

    subjects = [message.subject for message in outbox.outbox]
    assert subjects == [
        "Important: a payment card was registered",
        "Important: a payment card was registered",
        "Important: your default payment card was changed",
        "Important: a payment card was removed",
    ]
    assert "The payment card VISA ••••0100 was registered." in outbox.outbox[0].body
    assert "It is now your default card" in outbox.outbox[0].body
    assert "/payment-methods/" in outbox.outbox[3].body and "If this was not you" in outbox.outbox[3].body
