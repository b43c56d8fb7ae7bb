"""利用履歴 in Chromium: a member signs in with WESTER ID, filters the
history, pages deep with 「次の50件」 and downloads the CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import MemberFactory
from cards.models import CardStatus, UsageKind
from cards.tests.factories import CardFactory, CommuterPassFactory, UsageRecordFactory
from tests.e2e.test_sign_in import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

JAPAN = ZoneInfo("Asia/Tokyo")
RIDES = [("大阪", "京都", 580), ("京都", "大阪", 580), ("大阪", "三ノ宮", 420), ("新大阪", "天王寺", 240)]
SHOPS = ["駅ナカ売店 大阪駅", "ベーカリー 京都駅店", "コンビニ 三ノ宮駅"]


def seed_history(member, *, now: datetime, days: int = 40, per_day: int = 3) -> dict:
    """A member with a reissued card (old and new read as one line of
    history) and a second card: rides, purchases, bus rides, charges by card
    and cash, a point charge and a commuter pass, ``per_day`` lines a day
    for ``days`` days back from ``now``, with a running balance."""
    old = CardFactory(member=member, nickname="仕事用", status=CardStatus.REISSUED)
    new = CardFactory(member=member, nickname="仕事用", replaces=old)
    shopping = CardFactory(member=member, nickname="買い物用")
    balances = {old.pk: 5000, new.pk: 0, shopping.pk: 3000}
    reissued_at = now - timedelta(days=days // 2)
    count = 0
    for day in range(days, 0, -1):
        for slot in range(per_day):
            at = (now - timedelta(days=day)).replace(hour=8 + slot * 4, minute=(7 * slot + day) % 60, second=day % 60)
            card = shopping if slot == 2 else (old if at < reissued_at else new)
            if card is new and balances[new.pk] == 0:
                balances[new.pk] = balances[old.pk]  # the balance carries over to the replacement
            n = day * per_day + slot
            if n % 11 == 0:
                fields = {"kind": UsageKind.CHARGE, "amount": 3000, "payment_method": "card",
                          "payment_brand": "VISA", "payment_last4": "4242", "place": "モバイルICOCA"}
            elif n % 13 == 0:
                fields = {"kind": UsageKind.CHARGE, "amount": 1000, "payment_method": "cash", "place": "大阪駅 券売機"}
            elif n % 17 == 0:
                fields = {"kind": UsageKind.POINT_CHARGE, "amount": 500}
            elif n % 7 == 0:
                fields = {"kind": UsageKind.BUS, "amount": -230, "operator": "京都市営バス"}
            elif slot == 2:
                fields = {"kind": UsageKind.PURCHASE, "amount": -(120 + (n * 37) % 900), "merchant": SHOPS[n % 3]}
            else:
                start, end, fare = RIDES[n % len(RIDES)]
                fields = {"kind": UsageKind.RIDE, "amount": -fare, "from_station": start, "to_station": end}
            if balances[card.pk] + fields["amount"] < 0:
                fields = {"kind": UsageKind.CHARGE, "amount": 3000, "payment_method": "card",
                          "payment_brand": "VISA", "payment_last4": "4242", "place": "モバイルICOCA"}
            balances[card.pk] += fields["amount"]
            fields.setdefault("from_station", "")
            fields.setdefault("to_station", "")
            UsageRecordFactory(card=card, occurred_at=at.astimezone(UTC), balance=balances[card.pk], **fields)
            count += 1
    CommuterPassFactory(card=new, paid_at=(now - timedelta(days=3)).replace(hour=21, minute=4).astimezone(UTC))
    return {"old": old, "new": new, "shopping": shopping, "count": count + 1}


def test_member_filters_pages_deep_and_downloads_the_csv(page, live_server, wester_id):
    member = MemberFactory(wester_id="demo-hanako", username="demo-hanako")
    now = datetime.now(JAPAN).replace(microsecond=0)
    seeded = seed_history(member, now=now, days=50, per_day=3)  # 151 lines: four pages of 50

    sign_in(page, live_server, "demo-hanako")
    expect(page.get_by_role("heading", name="マイページ")).to_be_visible()
    page.goto(live_server.url + "/history/")
    expect(page.get_by_role("heading", name="利用履歴", level=1)).to_be_visible()
    lines = page.locator("ol.lines > li")
    expect(lines).to_have_count(50)
    expect(page.locator("ol.lines .kind--pass")).to_have_text("定期券")

    # Page deep: 50 + 50 + 50 + 1, none twice.
    seen = []
    for expected in (50, 50, 50, 1):
        expect(lines).to_have_count(expected)
        seen += lines.evaluate_all("items => items.map(li => li.innerText)")
        if expected == 50:
            page.get_by_role("link", name="次の50件").click()
    assert len(seen) == seeded["count"]
    expect(page.get_by_text("この条件で表示できる履歴はここまでです。")).to_be_visible()
    page.get_by_role("link", name="最新の履歴に戻る").click()
    expect(lines).to_have_count(50)

    # Filter: the work card (old and new number read as one) and rides only.
    filters = page.locator("details.filters")
    expect(filters).not_to_have_attribute("open", "")
    page.get_by_role("heading", name="絞り込み").click()
    page.get_by_label("カード").select_option(label=f"仕事用（{seeded['new'].masked_number}）・再発行前を含む")
    page.get_by_label("種別").select_option(label="乗車")
    page.get_by_role("button", name="表示する").click()
    expect(page).to_have_url(re.compile(r"kind=ride"))
    # The panel stays closed so the lines come first on a phone; its summary names the filters.
    expect(page.locator(".filters__applied")).to_have_text("仕事用・乗車")
    texts = lines.evaluate_all("items => items.map(li => li.innerText)")
    assert texts, "the filter shows rides"
    assert all("乗車" in text and "→" in text for text in texts)

    # The CSV of the same filter.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSVをダウンロード").click()
    download = download_info.value
    assert re.fullmatch(r"icoca-history-\d{8}\.csv", download.suggested_filename)
    data = open(download.path(), "rb").read()  # noqa: SIM115 (read whole, closed at exit)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["日付", "時刻", "カード", "種別", "区間（から）", "区間（まで）", "利用先", "金額", "残額"]
    body = rows[1:]
    assert body and all(row[3] == "乗車" and row[2].startswith("仕事用 JW") for row in body)
    assert {row[2][-4:] for row in body} == {seeded["old"].icoca_number[-4:], seeded["new"].icoca_number[-4:]}
    assert all(re.fullmatch(r"-\d+", row[7]) and re.fullmatch(r"\d+", row[8]) for row in body)
    assert body == sorted(body, key=lambda row: (row[0], row[1]), reverse=True)

    # A month before the window: refused with the earliest date.
    page.goto(live_server.url + "/history/?from=2001-01-01")
    expect(page.get_by_role("alert")).to_contain_text("より前の期間は指定できません")
    expect(lines).to_have_count(0)
