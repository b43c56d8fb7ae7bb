"""利用履歴: what a member sees (lines, money, Japan times, monthly totals)
and how the pages go deep (keyset, opaque cursor, a fixed number of queries)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cards.history.selectors import HistoryQuery, Source, history_page, member_cards
from cards.models import UsageKind, UsageRecord
from cards.tests.factories import CardFactory, CommuterPassFactory, UsageRecordFactory
from cards.tests.history_factories import RefundFactory

pytestmark = pytest.mark.django_db

JST = timezone(timedelta(hours=9))
HISTORY = reverse("cards:history")
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=JST)


@pytest.fixture
def card():
    return CardFactory(nickname="仕事用")


@pytest.fixture
def member_client(client, card):
    with time_machine.travel(NOW, tick=False):
        client.force_login(card.member)
        yield client


def text(response) -> str:
    return unescape(response.content.decode())


def lines_of(response) -> list[str]:
    """Each history line's text, tags stripped, in page order."""
    html = text(response)
    items = re.findall(r'<li class="line line--[a-z_]+">(.*?)</li>', html, re.S)
    return [" ".join(re.sub(r"<[^>]+>", "", item).split()) for item in items]


def next_link(response) -> str | None:
    found = re.search(r'<a class="button button--primary" rel="next" href="([^"]+)">次の50件</a>', text(response))
    return found.group(1) if found else None


def jst(*args) -> datetime:
    return datetime(*args, tzinfo=JST).astimezone(UTC)


def make_usage(card, count: int, *, start: datetime, step: timedelta = timedelta(minutes=-30), **fields):
    """``count`` rides going back from ``start``, numbered in ``note``."""
    UsageRecord.objects.bulk_create(
        UsageRecord(
            center_id=f"U-{card.pk}-{start.timestamp():.0f}-{n}", card=card, occurred_at=start + n * step,
            kind=fields.get("kind", UsageKind.RIDE), amount=fields.get("amount", -100), balance=5000,
            from_station=fields.get("from_station", "大阪"), to_station=fields.get("to_station", "京都"),
            note=f"#{n}",
        )
        for n in range(count)
    )


# --- What a line shows -------------------------------------------------------------------


def test_lines_show_money_stations_payment_cards_and_japan_time(member_client, card):
    UsageRecordFactory(card=card, occurred_at=jst(2026, 11, 20, 8, 12, 33), amount=-580, balance=4210)
    UsageRecordFactory(
        card=card, occurred_at=jst(2026, 11, 20, 18, 2, 45), kind=UsageKind.CHARGE, amount=3000, balance=7210,
        from_station="", to_station="", payment_method="card", payment_brand="VISA", payment_last4="4242",
    )
    UsageRecordFactory(
        card=card, occurred_at=jst(2026, 11, 20, 12, 40, 2), kind=UsageKind.PURCHASE, amount=-540, balance=3670,
        from_station="", to_station="", merchant="駅ナカ売店 大阪駅",
    )
    # 2026-11-19 23:30 UTC is the morning of the 20th in Japan.
    UsageRecordFactory(card=card, occurred_at=datetime(2026, 11, 19, 23, 30, tzinfo=UTC), from_station="京都", to_station="大阪")

    lines = lines_of(member_client.get(HISTORY))

    assert lines[0] == "11月20日(金) 18:02 チャージ 支払い: VISA ••••4242 金額 +3,000円 残額 7,210円"
    assert lines[1] == "11月20日(金) 12:40 買い物 駅ナカ売店 大阪駅 金額 −540円 残額 3,670円"
    assert lines[2] == "11月20日(金) 08:30 乗車 京都 → 大阪 金額 −580円 残額 4,210円"
    assert lines[3] == "11月20日(金) 08:12 乗車 大阪 → 京都 金額 −580円 残額 4,210円"


def test_pass_purchases_and_refunds_are_lines_too_merged_in_time_order(member_client, card):
    UsageRecordFactory(card=card, occurred_at=jst(2026, 11, 2, 9, 0))
    CommuterPassFactory(card=card, paid_at=jst(2026, 11, 2, 10, 0), price=36960, months=3)
    RefundFactory(card=card, refunded_at=jst(2026, 11, 2, 11, 0), balance=3200, fee=220,
                  destination_method="bank", destination_brand="", destination_last4="")
    UsageRecordFactory(card=card, occurred_at=jst(2026, 11, 2, 12, 0), from_station="京都", to_station="大阪")

    response = member_client.get(HISTORY)
    lines = lines_of(response)

    assert [line.split()[2] for line in lines] == ["乗車", "払いもどし", "定期券", "乗車"]
    assert lines[1] == "11月2日(月) 11:00 払いもどし 払いもどし先: 銀行口座 金額 +2,980円"
    assert lines[2].startswith("11月2日(月) 10:00 定期券 大阪 → 三ノ宮 通勤・3か月（")
    assert lines[2].endswith("支払い: VISA ••••4242 金額 −36,960円")

    only_passes = lines_of(member_client.get(HISTORY, {"kind": "pass"}))
    only_refunds = lines_of(member_client.get(HISTORY, {"kind": "refund"}))
    only_rides = lines_of(member_client.get(HISTORY, {"kind": "ride"}))
    assert [line.split()[2] for line in only_passes] == ["定期券"]
    assert [line.split()[2] for line in only_refunds] == ["払いもどし"]
    assert [line.split()[2] for line in only_rides] == ["乗車", "乗車"]


def test_the_card_is_named_on_each_line_when_several_cards_are_shown(member_client, card):
    other = CardFactory(member=card.member, nickname="買い物用")
    UsageRecordFactory(card=card)
    UsageRecordFactory(card=other)

    everything = member_client.get(HISTORY)
    one = member_client.get(HISTORY, {"card": str(card.public_id)})

    assert any(line.endswith(f"買い物用 {other.masked_number} 金額 −580円 残額 4,210円") for line in lines_of(everything))
    assert any(f"仕事用 {card.masked_number}" in line for line in lines_of(everything))
    assert card.icoca_number not in text(everything)  # never the full number in a list
    assert not any(card.masked_number in line for line in lines_of(one))


def test_totals_per_month_cover_the_whole_month_not_only_the_page(member_client, card):
    # 60 rides in November (−100 each) and one charge; 3 rides in October.
    make_usage(card, 60, start=jst(2026, 11, 24, 20, 0), step=timedelta(hours=-5))
    UsageRecordFactory(card=card, occurred_at=jst(2026, 11, 1, 0, 0), kind=UsageKind.CHARGE, amount=3000,
                       from_station="", to_station="", payment_method="cash")
    make_usage(card, 3, start=jst(2026, 10, 31, 23, 0), amount=-200)

    first = member_client.get(HISTORY)
    second = member_client.get(next_link(first))

    first_page = text(first)
    assert 'id="month-2026-11"' in first_page and 'id="month-2026-10"' not in first_page
    november = first_page.split('id="month-2026-11"')[1]
    assert "<dt>残額の増減</dt><dd>−3,000円</dd>" in november
    assert "<dt>使った金額</dt><dd>6,000円</dd>" in november
    assert "<dt>チャージ・入金</dt><dd>+3,000円</dd>" in november
    assert "61件" in november
    second_page = text(second)
    assert "<dt>残額の増減</dt><dd>−3,000円</dd>" in second_page.split('id="month-2026-11"')[1]
    october = second_page.split('id="month-2026-10"')[1]
    assert "<dt>残額の増減</dt><dd>−600円</dd>" in october and "3件" in october

    # With a filter, the totals are those of the filtered history.
    rides = text(member_client.get(HISTORY, {"kind": "ride"}))
    assert "<dt>残額の増減</dt><dd>−6,000円</dd>" in rides.split('id="month-2026-11"')[1]


def test_an_empty_history_says_so(member_client):
    page = text(member_client.get(HISTORY, {"month": "2026-03"}))
    assert "この条件に合う利用履歴はありません。" in page
    assert "次の50件" not in page


# --- Paging ---------------------------------------------------------------------------------


def test_pages_go_deep_without_duplicates_or_gaps_with_equal_timestamps(member_client, card):
    other = CardFactory(member=card.member)
    # 130 lines, in groups of up to 40 at the very same instant, on two cards,
    # with a pass purchase and a refund at one of those instants.
    for same in (jst(2026, 11, 20, 8, 0), jst(2026, 11, 10, 8, 0), jst(2026, 10, 30, 8, 0)):
        make_usage(card, 20, start=same, step=timedelta(0))
        make_usage(other, 20, start=same, step=timedelta(0))
    make_usage(card, 8, start=jst(2026, 10, 1, 8, 0))
    CommuterPassFactory(card=card, paid_at=jst(2026, 11, 10, 8, 0))
    RefundFactory(card=other, refunded_at=jst(2026, 11, 10, 8, 0))
    expected = UsageRecord.objects.count() + 2

    seen, url, pages = [], HISTORY, 0
    while url:
        response = member_client.get(url)
        assert response.status_code == 200
        pages += 1
        seen += lines_of(response)
        assert len(lines_of(response)) == (50 if next_link(response) else expected - 50 * (pages - 1))
        url = next_link(response)

    assert pages == 3
    assert len(seen) == expected
    # Lines at one instant look alike on the page: the selector's positions
    # (time, source, id) show each line comes exactly once, in order.
    cards = member_cards(card.member)
    query = HistoryQuery(cards=tuple(cards.cards), start=jst(2025, 11, 1))
    positions, after = [], None
    while True:
        page = history_page(query, after=after, size=7)
        positions += [line.position for line in page.lines]
        if page.next_position is None:
            break
        after = page.next_position
    assert len(positions) == len(set(positions)) == expected
    assert positions == sorted(positions, reverse=True)
    assert {p.source for p in positions} == {Source.USAGE, Source.PASS, Source.REFUND}


def test_the_next_link_keeps_the_filters_and_a_later_page_offers_the_newest_again(member_client, card):
    make_usage(card, 70, start=jst(2026, 11, 20, 8, 0))
    make_usage(card, 5, start=jst(2026, 11, 20, 9, 0), kind=UsageKind.BUS, from_station="", to_station="")

    first = member_client.get(HISTORY, {"kind": "ride", "month": "2026-11"})
    link = next_link(first)
    query = parse_qs(urlsplit(link).query)
    assert query["kind"] == ["ride"] and query["month"] == ["2026-11"] and query["after"]
    assert "最新の履歴に戻る" not in text(first)

    second = member_client.get(link)
    assert len(lines_of(second)) == 20
    assert all(" 乗車 " in line for line in lines_of(second))
    assert next_link(second) is None
    assert "この条件で表示できる履歴はここまでです。" in text(second)
    assert 'href="/history/?month=2026-11&amp;kind=ride">最新の履歴に戻る' in second.content.decode()


@pytest.mark.parametrize("tamper", ["flip", "garbage", "other_salt"])
def test_a_tampered_cursor_gets_a_clear_message(member_client, card, tamper):
    make_usage(card, 60, start=jst(2026, 11, 20, 8, 0))
    after = parse_qs(urlsplit(next_link(member_client.get(HISTORY))).query)["after"][0]
    if tamper == "flip":
        value, signature = after.split(":", 1)
        after = value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1] + ":" + signature
    elif tamper == "garbage":
        after = "not-a-cursor"
    else:
        from django.core import signing

        after = signing.dumps([0, 0, 0], salt="another.purpose")

    response = member_client.get(HISTORY, {"after": after})

    assert response.status_code == 400
    assert "ページの指定が正しくありません。お手数ですが最初のページから表示し直してください。" in text(response)
    assert '<a href="/history/">最初のページを表示する</a>' in text(response)


# --- A fixed number of queries, however deep -----------------------------------------------


def test_the_first_page_and_a_deep_page_take_the_same_number_of_queries(
    member_client, card, django_assert_max_num_queries
):
    other = CardFactory(member=card.member)
    old = CardFactory(member=card.member)
    card.replaces = old
    card.save()
    for each in (card, other, old):
        make_usage(each, 120, start=jst(2026, 11, 24, 20, 0), step=timedelta(hours=-3))
    for n in range(3):
        CommuterPassFactory(card=card, paid_at=jst(2026, 11, 1 + n * 7, 7, 0))
        RefundFactory(card=other, refunded_at=jst(2026, 10, 2 + n * 7, 7, 0))

    member_client.get(HISTORY)  # sessions and caches settle
    url, counts = HISTORY, []
    for _ in range(6):  # the first page and five deeper
        with CaptureQueriesContext(connection) as captured:
            response = member_client.get(url)
        assert response.status_code == 200
        counts.append(len(captured))
        url = next_link(response)
    assert len(set(counts)) == 1, counts
    fixed = counts[0]
    # Of those, the history's own: the member's cards, the lines, the month totals.
    ours = [q["sql"] for q in captured.captured_queries if re.search(r"\bcards_(card|usagerecord)\b", q["sql"])]
    assert len(ours) == 3, ours

    with django_assert_max_num_queries(fixed):
        member_client.get(HISTORY)
    with django_assert_max_num_queries(fixed):
        member_client.get(url)
    # More data, more cards: still the same.
    for _ in range(3):
        make_usage(CardFactory(member=card.member), 80, start=jst(2026, 11, 23, 20, 0))
    with django_assert_max_num_queries(fixed):
        member_client.get(HISTORY)
    with django_assert_max_num_queries(fixed):
        member_client.get(url)
    with django_assert_max_num_queries(fixed):
        member_client.get(HISTORY, {"card": str(card.public_id), "kind": "ride"})
