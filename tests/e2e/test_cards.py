"""A member signs in through the real local WESTER ID provider, looks at
their card faces, renames a card and reports a lost phone, in Chromium at
360 px."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from accounts.services import member_get_or_create
from cards.models import Card, CardStatus, Device
from cards.tests.factories import CardFactory, CommuterPassFactory, PointsEntryFactory
from cards.window import japan_today
from tests.e2e.menu import main_menu
from tests.e2e.test_sign_in import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def hanako_cards():
    """demo-hanako, known to the card center before she signs in: two cards on
    her iPhone (one with a pass ending in 10 days) and one on her watch."""
    member, _ = member_get_or_create(wester_id="demo-hanako")
    today = japan_today()
    work = CardFactory(member=member, nickname="仕事用", device=Device.IPHONE, balance=4210)
    CommuterPassFactory(card=work, months=1, valid_from=today - timedelta(days=20), valid_until=today + timedelta(days=10))
    shop = CardFactory(member=member, nickname="買い物用", device=Device.IPHONE, balance=1500)
    watch = CardFactory(member=member, nickname="時計", device=Device.APPLE_WATCH, deposited=True, balance=800)
    PointsEntryFactory(member=member, points=1234)
    return {"work": work, "shop": shop, "watch": watch}


def card_face(page, name):
    return page.locator("article.card-face").filter(has=page.get_by_role("heading", name=name))


def test_member_sees_card_faces_renames_a_card_and_reports_a_lost_phone(page, live_server, wester_id, hanako_cards):
    work = hanako_cards["work"]
    sign_in(page, live_server, "demo-hanako")

    # マイページ: a face per card.
    expect(page.get_by_role("heading", name="マイページ")).to_be_visible()
    expect(page.locator("article.card-face")).to_have_count(3)
    face = card_face(page, "仕事用")
    expect(face).to_contain_text(work.masked_number)
    expect(face).to_contain_text("iPhone")
    expect(face).to_contain_text("利用中")
    expect(face).to_contain_text("4,210円")
    expect(face).to_contain_text("大阪⇔三ノ宮")
    expect(face).to_contain_text("あと10日")
    expect(face).to_contain_text("まもなく有効期限です。")
    expect(card_face(page, "時計")).to_contain_text("預け入れ中")
    expect(page.get_by_text("1,234 ポイント")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text(work.icoca_number)

    # The card's own page: the full number, and a rename.
    face.get_by_role("link", name="詳細・名前の変更").click()
    expect(page.get_by_role("heading", name=re.compile("仕事用"), level=1)).to_be_visible()
    expect(page.get_by_text(work.icoca_number)).to_be_visible()
    name_field = page.get_by_label("新しい名前")
    name_field.fill("通勤😀")
    page.get_by_role("button", name="名前を保存").click()
    expect(page.get_by_text("ICOCAの名前に絵文字は使えません。")).to_be_visible()
    expect(page.get_by_label("新しい名前")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("新しい名前").fill("　通勤用　")
    page.get_by_role("button", name="名前を保存").click()
    expect(page.get_by_role("status")).to_contain_text("ICOCAの名前を「通勤用」に変更しました。")

    main_menu(page).get_by_role("link", name="マイページ").click()
    expect(card_face(page, "通勤用")).to_contain_text(work.masked_number)
    expect(page.get_by_role("heading", name="仕事用")).to_have_count(0)

    # 紛失・故障の再発行登録: choose the iPhone, confirm, done.
    page.get_by_role("link", name=re.compile("紛失・故障の再発行登録")).click()
    expect(page.get_by_role("heading", name="紛失・故障の再発行登録")).to_be_visible()
    page.get_by_role("radio", name=re.compile("iPhone")).check()
    page.get_by_role("button", name=re.compile("次へ")).click()
    expect(page.get_by_role("heading", name=re.compile("iPhoneの次の2枚のICOCAの利用を停止します"))).to_be_visible()
    expect(page.locator(".stop-list")).to_contain_text("通勤用")
    expect(page.locator(".stop-list")).to_contain_text("買い物用")
    expect(page.locator(".stop-list")).not_to_contain_text("時計")
    assert Card.objects.get(pk=work.pk).status == CardStatus.ACTIVE  # nothing stopped before confirming
    page.get_by_role("button", name="利用を停止して再発行登録する").click()

    expect(page.get_by_role("heading", name="再発行登録を受け付けました")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("iPhoneのICOCA 2枚の利用を停止し")
    expect(page.get_by_role("heading", name="このあとの流れ")).to_be_visible()
    statuses = dict(Card.objects.values_list("nickname", "status"))
    assert statuses == {"通勤用": "suspended", "買い物用": "suspended", "時計": "deposited"}

    page.get_by_role("link", name="マイページへ戻る").click()
    expect(card_face(page, "通勤用")).to_contain_text("再発行手続き中")
    expect(card_face(page, "通勤用").get_by_role("link", name="再発行について")).to_have_attribute(
        "href", "/help/#reissue"
    )
