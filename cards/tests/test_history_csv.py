"""/history/export.csv: the filtered history for expense claims, as Excel in
Japan opens it, streamed with the keyset."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta, timezone

import pytest
import time_machine
from django.http import StreamingHttpResponse
from django.urls import reverse

from cards.history import csv as history_csv
from cards.models import UsageKind, UsageRecord
from cards.tests.factories import CardFactory, CommuterPassFactory, UsageRecordFactory
from cards.tests.history_factories import RefundFactory

pytestmark = pytest.mark.django_db

JST = timezone(timedelta(hours=9))
EXPORT = reverse("cards:history-export")
HEADER = ["日付", "時刻", "カード", "種別", "区間（から）", "区間（まで）", "利用先", "金額", "残額"]


def jst(*args) -> datetime:
    return datetime(*args, tzinfo=JST).astimezone(UTC)


@pytest.fixture
def card():
    return CardFactory(nickname="仕事用")


def download(client, member, params=None, *, now=datetime(2026, 11, 25, 12, 0, tzinfo=JST)):
    with time_machine.travel(now, tick=False):
        client.force_login(member)
        response = client.get(EXPORT, params or {})
        body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def rows_of(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body[3:].decode("utf-8"), newline="")))


def test_the_file_is_utf8_with_a_bom_named_for_the_japan_date(client, card):
    # Ten past midnight on New Year's Day in Japan is still 2026-12-31 in UTC.
    response, body = download(client, card.member, now=datetime(2027, 1, 1, 0, 10, tzinfo=JST))

    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="icoca-history-20270101.csv"'
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert body.startswith(b"\xef\xbb\xbf" + "日付,時刻,カード".encode())
    assert body.endswith(b"\r\n")
    assert rows_of(body) == [HEADER]


def test_one_row_per_line_with_machine_readable_dates_and_amounts(client, card):
    UsageRecordFactory(card=card, occurred_at=jst(2026, 11, 20, 8, 12, 33), amount=-580, balance=4210)
    UsageRecordFactory(
        card=card, occurred_at=jst(2026, 11, 20, 12, 40, 2), kind=UsageKind.PURCHASE, amount=-540, balance=3670,
        from_station="", to_station="", merchant="駅ナカ売店 大阪駅",
    )
    UsageRecordFactory(
        card=card, occurred_at=jst(2026, 11, 20, 18, 2, 45), kind=UsageKind.CHARGE, amount=3000, balance=6670,
        from_station="", to_station="", place="モバイルICOCA", payment_method="card", payment_brand="VISA",
        payment_last4="4242",
    )
    UsageRecordFactory(
        card=card, occurred_at=jst(2026, 11, 21, 9, 0), kind=UsageKind.BUS, amount=-230, balance=6440,
        from_station="", to_station="", operator="京都市営バス",
    )
    CommuterPassFactory(card=card, paid_at=jst(2026, 11, 1, 21, 4, 11), price=36960, months=3)
    RefundFactory(card=card, refunded_at=jst(2026, 11, 2, 10, 0), balance=3200, fee=220)
    # Before the window (2025-11-01 on 2026-11-25): not in the file.
    UsageRecordFactory(card=card, occurred_at=jst(2025, 10, 31, 23, 59))

    _, body = download(client, card.member)

    name = f"仕事用 {card.masked_number}"
    assert rows_of(body) == [
        HEADER,
        ["2026-11-21", "09:00:00", name, "バス", "", "", "京都市営バス", "-230", "6440"],
        ["2026-11-20", "18:02:45", name, "チャージ", "", "", "モバイルICOCA", "3000", "6670"],
        ["2026-11-20", "12:40:02", name, "買い物", "", "", "駅ナカ売店 大阪駅", "-540", "3670"],
        ["2026-11-20", "08:12:33", name, "乗車", "大阪", "京都", "", "-580", "4210"],
        ["2026-11-02", "10:00:00", name, "払いもどし", "", "", "", "2980", ""],
        ["2026-11-01", "21:04:11", name, "定期券", "大阪", "三ノ宮", "", "-36960", ""],
    ]
    assert card.icoca_number not in body.decode("utf-8-sig")


def test_cells_that_look_like_formulas_are_neutralised_but_amounts_stay_numbers(client, card):
    card.nickname = "=1+1"
    card.save()
    UsageRecordFactory(
        card=card, occurred_at=jst(2026, 11, 20, 12, 0), kind=UsageKind.PURCHASE, amount=-540,
        from_station="", to_station="", merchant='=HYPERLINK("http://evil.example","x")',
    )
    UsageRecordFactory(card=card, occurred_at=jst(2026, 11, 20, 11, 0), from_station="+81", to_station="@home")
    UsageRecordFactory(card=card, occurred_at=jst(2026, 11, 20, 10, 0), from_station="-大阪", to_station="\t京都")

    _, body = download(client, card.member)
    purchase, ride, other = rows_of(body)[1:]

    assert purchase[2] == f"'=1+1 {card.masked_number}"
    assert purchase[6] == """'=HYPERLINK("http://evil.example","x")"""
    assert purchase[7] == "-540"
    assert ride[4:6] == ["'+81", "'@home"]
    assert other[4:6] == ["'-大阪", "'\t京都"]
    assert [row[7] for row in (purchase, ride, other)] == ["-540", "-580", "-580"]


FORMULAS_BEHIND_BLANKS = [
    " =1+1", "  +81", "\u3000=1+1", "\xa0@SUM(A1)", "\n=cmd|' /C calc'!A0", "\r\n-1", "\v=1", " \t=1",
    "＝1+1", "＋81", "－大阪", "＠home", "\u3000＝HYPERLINK(\"http://evil.example\")", " ＋1", "\n", "\r",
]


@pytest.mark.parametrize("value", FORMULAS_BEHIND_BLANKS)
def test_formulas_behind_white_space_line_breaks_or_in_full_width_are_neutralised(client, card, value):
    UsageRecordFactory(card=card, occurred_at=jst(2026, 11, 20, 10, 0), from_station=value, to_station="京都")
    UsageRecordFactory(
        card=card, occurred_at=jst(2026, 11, 20, 9, 0), kind=UsageKind.PURCHASE, amount=-540,
        from_station="", to_station="", merchant=value,
    )
    _, body = download(client, card.member)
    ride, purchase = rows_of(body)[1:]
    assert ride[4] == "'" + value
    assert purchase[6] == "'" + value
    assert ride[5] == "京都"


@pytest.mark.parametrize("value", [" 大阪", "\u3000京都", "大阪 =", "A-1", "1+1", "ＪＲ大阪駅", " "])
def test_text_that_only_has_blanks_or_formula_characters_further_on_stays_as_it_is(client, card, value):
    UsageRecordFactory(card=card, occurred_at=jst(2026, 11, 20, 10, 0), from_station=value, to_station="京都")
    _, body = download(client, card.member)
    assert rows_of(body)[1][4] == value


def test_the_filters_and_the_window_rule_apply(client, card):
    other = CardFactory(member=card.member, nickname="買い物用")
    UsageRecordFactory(card=card, occurred_at=jst(2026, 10, 20, 8, 0))
    UsageRecordFactory(card=card, occurred_at=jst(2026, 11, 20, 8, 0))
    UsageRecordFactory(card=card, occurred_at=jst(2026, 11, 20, 9, 0), kind=UsageKind.BUS, from_station="", to_station="")
    UsageRecordFactory(card=other, occurred_at=jst(2026, 11, 20, 10, 0))

    _, body = download(client, card.member, {"card": str(card.public_id), "month": "2026-11", "kind": "乗車"})
    refused, refused_body = download(client, card.member, {"from": "2025-10-31"})

    assert [row[:4] for row in rows_of(body)[1:]] == [["2026-11-20", "08:00:00", f"仕事用 {card.masked_number}", "乗車"]]
    assert refused.status_code == 400
    assert "2025年11月1日より前の期間は指定できません" in refused_body.decode()


def test_a_long_history_streams_batch_by_batch_without_losing_a_line(client, card, monkeypatch):
    monkeypatch.setattr(history_csv, "BATCH", 7)  # many keyset reads over few rows
    other = CardFactory(member=card.member)
    same = jst(2026, 11, 20, 8, 0)
    UsageRecord.objects.bulk_create(
        UsageRecord(center_id=f"U-{n}", card=card if n % 2 else other, occurred_at=same - timedelta(hours=n // 3),
                    kind=UsageKind.RIDE, amount=-(n + 1), balance=n)
        for n in range(100)
    )
    CommuterPassFactory(card=card, paid_at=same)

    _, body = download(client, card.member)
    rows = rows_of(body)[1:]

    assert len(rows) == 101
    assert sorted(int(row[7]) for row in rows if row[3] == "乗車") == list(range(-100, 0))
    assert [(row[0], row[1]) for row in rows] == sorted(((row[0], row[1]) for row in rows), reverse=True)


def test_the_first_bytes_go_out_before_the_history_is_read_and_the_file_is_the_same_byte_for_byte(
    client, card, monkeypatch, django_assert_num_queries
):
    """Time to first byte (issue 16): the BOM and the header leave before any line is read;
    the lines follow a batch at a time. The bytes are those the export has always written
    (a CRLF after every row, quotes only where a cell needs them, formulas neutralised)."""
    monkeypatch.setattr(history_csv, "BATCH", 2)  # several keyset reads
    monkeypatch.setattr(history_csv, "ROWS_PER_CHUNK", 2)  # several chunks
    UsageRecordFactory(card=card, occurred_at=jst(2026, 11, 20, 8, 12, 33), amount=-580, balance=4210)
    UsageRecordFactory(
        card=card, occurred_at=jst(2026, 11, 20, 12, 40, 2), kind=UsageKind.PURCHASE, amount=-540, balance=3670,
        from_station="", to_station="", merchant='売店 "大阪", 中央口',
    )
    UsageRecordFactory(
        card=card, occurred_at=jst(2026, 11, 20, 18, 2, 45), kind=UsageKind.CHARGE, amount=3000, balance=6670,
        from_station="", to_station="", place="=モバイルICOCA", payment_method="card", payment_brand="VISA",
        payment_last4="4242",
    )
    CommuterPassFactory(card=card, paid_at=jst(2026, 11, 1, 21, 4, 11), price=36960, months=3)
    RefundFactory(card=card, refunded_at=jst(2026, 11, 2, 10, 0), balance=3200, fee=220)

    with time_machine.travel(datetime(2026, 11, 25, 12, 0, tzinfo=JST), tick=False):
        client.force_login(card.member)
        response = client.get(EXPORT)
        chunks = iter(response.streaming_content)
        with django_assert_num_queries(0):
            first = next(chunks)
        rest = list(chunks)

    assert isinstance(response, StreamingHttpResponse)
    assert first == "\ufeff日付,時刻,カード,種別,区間（から）,区間（まで）,利用先,金額,残額\r\n".encode()
    assert len(rest) == 3  # five lines, two to a chunk
    name = f"仕事用 {card.masked_number}"
    assert first + b"".join(rest) == (
        "\ufeff日付,時刻,カード,種別,区間（から）,区間（まで）,利用先,金額,残額\r\n"
        f"2026-11-20,18:02:45,{name},チャージ,,,'=モバイルICOCA,3000,6670\r\n"
        f'2026-11-20,12:40:02,{name},買い物,,,"売店 ""大阪"", 中央口",-540,3670\r\n'
        f"2026-11-20,08:12:33,{name},乗車,大阪,京都,,-580,4210\r\n"
        f"2026-11-02,10:00:00,{name},払いもどし,,,,2980,\r\n"
        f"2026-11-01,21:04:11,{name},定期券,大阪,三ノ宮,,-36960,\r\n"
    ).encode()


def test_a_cards_cell_is_made_once_a_file_not_once_a_line(client, card, monkeypatch):
    other = CardFactory(member=card.member, nickname="=買い物用")
    for hour in range(6):
        UsageRecordFactory(card=card if hour % 2 else other, occurred_at=jst(2026, 11, 20, hour, 5, 9))
    made = []
    original = history_csv.card_text
    monkeypatch.setattr(history_csv, "card_text", lambda c: made.append(c.pk) or original(c))

    _, body = download(client, card.member)

    rows = rows_of(body)[1:]
    assert [(row[0], row[1], row[2]) for row in rows[:2]] == [
        ("2026-11-20", "05:05:09", f"仕事用 {card.masked_number}"),
        ("2026-11-20", "04:05:09", f"'=買い物用 {other.masked_number}"),
    ]
    assert len(rows) == 6
    assert sorted(made) == sorted([card.pk, other.pk])
