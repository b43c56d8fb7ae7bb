"""A member whose WESTER ID sends only ``name`` (demo-kensho, 「検証 花子」, from the local
identity provider) registers a payment card in Chromium: asked once for the name printed on
their cards before the card entry, told the holder-name rule, and can change it in 設定."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import AuditEvent, Member
from billing.payment_methods.models import PaymentMethod
from tests.e2e.test_sign_in import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_member_without_a_romaji_name_registers_a_card(page, live_server, wester_id, axe_check):
    sign_in(page, live_server, "demo-kensho")
    expect(page.get_by_role("button", name="ログアウト", include_hidden=True)).to_be_attached()  # signed in (in the folded menu)
    page.goto(live_server.url + "/payment-methods/")
    expect(page.get_by_text("WESTER IDにローマ字のお名前が登録されていません。")).to_be_visible()
    name_box = page.get_by_role("textbox", name="カードに書かれているお名前（ローマ字）")
    axe_check(page)

    # Bad input: said at the field, nothing leaves the portal.
    page.get_by_role("button", name="カードを登録する", exact=True).click()
    expect(page.locator("#card-name-errors")).to_have_text("カードに書かれているお名前を、ローマ字で入力してください。")
    name_box.fill("検証 花子")
    page.get_by_role("button", name="カードを登録する", exact=True).click()
    expect(page.locator("#card-name-errors")).to_contain_text("ローマ字（A〜Z）と空白だけで入力してください。")
    expect(name_box).to_have_attribute("aria-invalid", "true")
    axe_check(page)
    assert Member.objects.get(wester_id="demo-kensho").card_name == ""

    name_box.fill("hanako kensho")
    page.get_by_role("button", name="カードを登録する", exact=True).click()
    expect(page.get_by_role("heading", name="カード情報の入力")).to_be_visible()
    page.get_by_label("カード番号", exact=True).fill("4100000000000100")
    page.get_by_label("有効期限（月/年）").fill("12/30")
    page.get_by_label("セキュリティコード").fill("123")
    page.get_by_label("カード名義（ローマ字）").fill("HANAKO KENSHO")
    page.get_by_role("button", name="次へ（本人認証）").click()

    expect(page.get_by_role("status")).to_contain_text("VISA ••••0100 を登録し、デフォルトのカードにしました。")
    # Asked once: the rule now names it, before the next card is typed.
    expect(page.locator("#holder-rule")).to_contain_text("登録されたお名前「HANAKO KENSHO」と同じカードだけ登録できます")
    expect(name_box).to_have_count(0)
    axe_check(page)
    assert PaymentMethod.objects.get().holder_name == "HANAKO KENSHO"

    # 設定: shown and changeable, each change audited.
    page.locator("#holder-rule").get_by_role("link", name="お名前を変更する").click()
    expect(page).to_have_url(re.compile(r"/settings/#card-name$"))
    expect(page.locator("#card-name-current")).to_have_text("HANAKO KENSHO")
    settings_box = page.get_by_role("textbox", name="カードに書かれているお名前（ローマ字）")
    settings_box.fill("HANAKO 2")
    page.get_by_role("button", name="お名前を変更する").click()
    expect(page.locator("#card-name-errors")).to_contain_text("ローマ字（A〜Z）と空白だけ")
    axe_check(page)
    page.get_by_role("textbox", name="カードに書かれているお名前（ローマ字）").fill("Hanako Sato")
    page.get_by_role("button", name="お名前を変更する").click()
    expect(page.get_by_role("status")).to_contain_text("カードの名義（ローマ字）を保存しました。")
    expect(page.locator("#card-name-current")).to_have_text("HANAKO SATO")
    axe_check(page)
    changes = AuditEvent.objects.filter(member__wester_id="demo-kensho", action="member.card_name_set")
    assert [e.detail["after"] for e in changes.order_by("id")] == ["HANAKO KENSHO", "HANAKO SATO"]


def test_a_member_with_a_romaji_name_is_told_the_rule_and_never_asked(page, live_server, wester_id, axe_check):
    sign_in(page, live_server, "demo-hanako")
    expect(page.get_by_role("button", name="ログアウト", include_hidden=True)).to_be_attached()  # signed in (in the folded menu)
    page.goto(live_server.url + "/payment-methods/")
    expect(page.locator("#holder-rule")).to_contain_text("WESTER IDに登録されたお名前「HANAKO YAMADA」と同じカードだけ")
    expect(page.get_by_role("textbox", name="カードに書かれているお名前（ローマ字）")).to_have_count(0)
    axe_check(page)
    page.goto(live_server.url + "/settings/")
    expect(page.locator("#card-name")).to_contain_text("HANAKO YAMADA")
    axe_check(page)
