"""Known card-center usage for the 利用履歴証明 tests, the browser test and the benchmark:
a commuter's October 2026 (rides both ways between 大阪 and 京都, a ride to 三ノ宮, bus
rides, a purchase, and a card charge and a point charge that the document leaves out),
with the figures the document must show."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from cards.models import PaymentMethodKind, UsageKind
from cards.tests.factories import CardFactory, UsageRecordFactory

JAPAN = ZoneInfo("Asia/Tokyo")


@dataclass
class CommuterMonth:
    cards: list = field(default_factory=list)
    rides: list = field(default_factory=list)  # 大阪⇔京都, both ways
    other_rides: list = field(default_factory=list)  # 大阪→三ノ宮
    buses: list = field(default_factory=list)
    purchases: list = field(default_factory=list)
    left_out: list = field(default_factory=list)  # charges: never on a usage history

    @property
    def fares(self) -> int:
        return -sum(r.amount for r in (*self.rides, *self.other_rides, *self.buses))

    @property
    def route_fares(self) -> int:
        return -sum(r.amount for r in self.rides)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=JAPAN)


def commuter_month(member, *, year: int = 2026, month: int = 10, days: int = 5) -> CommuterMonth:
    """On each of ``days`` working days from the 1st: 大阪→京都 at 08:15 (−580) and
    京都駅→大阪 at 18:30 (−580, the feed spelling the station with 駅), on the card
    「仕事用」; on the second card 「買い物用」 a ride 大阪→三ノ宮 (−410), a bus of 京都市バス
    (−230) and a purchase at 駅ナカ売店 (−540). Outside: a card charge and a point charge
    in the month, and a ride the day before and the day after the month."""
    data = CommuterMonth()
    work = CardFactory(member=member, nickname="仕事用", icoca_number="JW7A0000000000001")
    other = CardFactory(member=member, nickname="買い物用", icoca_number="JW7A0000000000002")
    data.cards = [work, other]
    first = date(year, month, 1)
    balance = 9000
    for n in range(days):
        day = first + timedelta(days=n)
        balance -= 580
        data.rides.append(UsageRecordFactory(card=work, occurred_at=at(day, 8, 15), amount=-580, balance=balance,
                                             from_station="大阪", to_station="京都"))
        balance -= 580
        data.rides.append(UsageRecordFactory(card=work, occurred_at=at(day, 18, 30), amount=-580, balance=balance,
                                             from_station="京都駅", to_station="大阪"))
    day = first + timedelta(days=days)
    data.other_rides.append(UsageRecordFactory(card=other, occurred_at=at(day, 10, 0), amount=-410, balance=4590,
                                               from_station="大阪", to_station="三ノ宮"))
    data.buses.append(UsageRecordFactory(card=other, occurred_at=at(day, 11, 0), kind=UsageKind.BUS, amount=-230,
                                         balance=4360, from_station="", to_station="", operator="京都市バス"))
    data.purchases.append(UsageRecordFactory(card=other, occurred_at=at(day, 12, 0), kind=UsageKind.PURCHASE,
                                             amount=-540, balance=3820, from_station="", to_station="",
                                             merchant="駅ナカ売店 大阪駅"))
    data.left_out += [
        UsageRecordFactory(card=other, occurred_at=at(day, 13, 0), kind=UsageKind.CHARGE, amount=3000, balance=6820,
                           from_station="", to_station="", payment_method=PaymentMethodKind.CARD,
                           payment_brand="VISA", payment_last4="4242"),
        UsageRecordFactory(card=other, occurred_at=at(day, 14, 0), kind=UsageKind.POINT_CHARGE, amount=500,
                           balance=7320, from_station="", to_station="", payment_method=PaymentMethodKind.POINTS),
        UsageRecordFactory(card=work, occurred_at=at(first - timedelta(days=1), 8, 15), amount=-580, balance=9580),
        UsageRecordFactory(card=work, occurred_at=at(first + timedelta(days=31), 8, 15), amount=-580, balance=1000),
    ]
    return data
