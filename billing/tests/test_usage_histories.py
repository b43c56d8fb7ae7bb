"""The 利用履歴証明's pure module: which lines it keeps, its totals, its stored format,
and finding a station a member typed. No database."""

from __future__ import annotations

import doctest
from datetime import date, datetime, timedelta, timezone

import pytest

from billing.documents import usage_histories
from billing.documents.usage_histories import (
    BUS,
    PURCHASE,
    RIDE,
    UsageHistoryContent,
    UsageHistoryLine,
    UsageHistoryScope,
    compose,
)
from cards import stations

JST = timezone(timedelta(hours=9))
DAY = date(2026, 10, 1)


def line(hour: int, kind: str = RIDE, amount: int = -580, balance: int = 4000, **where) -> UsageHistoryLine:
    return UsageHistoryLine(at=datetime(2026, 10, 1, hour, tzinfo=JST), kind=kind, card_number="JW•••••••••••0001",
                            amount=amount, balance=balance, **where)


LINES = [
    line(18, from_station="京都駅", to_station="大阪"),
    line(8, from_station="大阪", to_station="京都"),
    line(10, from_station="大阪", to_station="三ノ宮", amount=-410),
    line(11, BUS, -230, place="京都市バス"),
    line(12, PURCHASE, -540, place="駅ナカ売店"),
]


def content(scope: UsageHistoryScope) -> UsageHistoryContent:
    return compose(LINES, member_name="山田 花子", period_start=DAY, period_end=DAY, scope=scope, cards=[])


def test_the_module_examples_hold():
    assert doctest.testmod(usage_histories).failed == 0
    assert doctest.testmod(stations).failed == 0


def test_everything_oldest_first_with_the_fares_and_the_purchases_apart():
    found = content(UsageHistoryScope())
    assert [x.at.hour for x in found.lines] == [8, 10, 11, 12, 18]
    assert (found.fare_total, found.fare_count) == (580 + 410 + 230 + 580, 4)
    assert (found.purchase_total, found.purchase_count) == (540, 1)
    assert found.total == found.fare_total


def test_rides_and_buses_leave_the_purchases_out():
    found = content(UsageHistoryScope(name="transit"))
    assert {x.kind for x in found.lines} == {RIDE, BUS}
    assert found.purchase_total == 0


def test_a_route_keeps_the_rides_between_the_two_stations_either_way():
    found = content(UsageHistoryScope(name="route", stations=("京都", "大阪駅")))
    assert [(x.from_station, x.to_station) for x in found.lines] == [("大阪", "京都"), ("京都駅", "大阪")]
    assert found.fare_total == 1160


def test_the_same_request_has_the_same_key_whichever_way_the_stations_are_given():
    one = UsageHistoryScope(name="route", card="c1", stations=("京都", "大阪"))
    other = UsageHistoryScope(name="route", card="c1", stations=("大阪駅", "京都"))
    assert one.key() == other.key() == "route;card=c1;stations=京都|大阪"
    assert UsageHistoryScope().key() != UsageHistoryScope(name="transit").key()


@pytest.mark.parametrize("bad", [
    {"name": "charge"},
    {"name": "route"},
    {"name": "route", "stations": ("大阪", "大阪駅")},
    {"name": "all", "stations": ("大阪", "京都")},
])
def test_a_scope_that_cannot_be_is_refused(bad):
    with pytest.raises(ValueError):
        UsageHistoryScope(**bad)


def test_a_charge_is_never_a_line():
    with pytest.raises(ValueError):
        line(9, "charge", 3000)


# A stored document, written by hand as JSON (not made by today's code): it must read back
# with exactly these figures.
STORED_V1 = {
    "v": 1,
    "member_name": "山田 花子",
    "period": {"start": "2026-10-01", "end": "2026-10-31"},
    "scope": {"name": "all", "card": "", "stations": None},
    "cards": [{"nickname": "仕事用", "number": "JW•••••••••••0001"}],
    "lines": [
        {"at": "2026-10-01T08:15:00+09:00", "kind": "ride", "card_number": "JW•••••••••••0001", "amount": -580,
         "balance": 8420, "from_station": "大阪", "to_station": "京都"},
        {"at": "2026-10-01T12:00:00+09:00", "kind": "purchase", "card_number": "JW•••••••••••0001",
         "amount": -540, "balance": 7880, "place": "駅ナカ売店"},
    ],
    "fare_total": 580, "fare_count": 1, "purchase_total": 540, "purchase_count": 1,
}


def test_a_stored_content_reads_back_as_stored_and_writes_the_same():
    found = UsageHistoryContent.from_json(STORED_V1)
    assert (found.fare_total, found.purchase_total, found.lines[0].balance) == (580, 540, 8420)
    assert found.to_json() == STORED_V1


def test_a_damaged_or_unknown_content_is_refused_not_recomputed():
    with pytest.raises(ValueError, match="do not match"):
        UsageHistoryContent.from_json(STORED_V1 | {"fare_total": 999})
    with pytest.raises(ValueError, match="version"):
        UsageHistoryContent.from_json(STORED_V1 | {"v": 7})


@pytest.mark.parametrize(("typed", "found"), [
    ("大阪", "大阪"), ("大阪駅", "大阪"), (" Kyoto ", "京都"), ("SANNOMIYA", "三ノ宮"), ("Nishi Akashi", "西明石"),
    ("shin-osaka", "新大阪"), ("どこか", None), ("", None), ("JR神戸線", None),
])
def test_a_station_is_found_in_japanese_or_english(typed, found):
    assert stations.find_station(typed) == found
