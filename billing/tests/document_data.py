"""Known card-center data for document tests, the browser test and the
benchmarks: a member's card payments in a month, with the figures a receipt
must show, and a refund with the figures its statement must show."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from cards.models import CardStatus, DestinationMethod, PaymentMethodKind, Refund, UsageKind
from cards.tests.factories import CardFactory, CommuterPassFactory, UsageRecordFactory

JAPAN = ZoneInfo("Asia/Tokyo")


@dataclass
class MonthOfPayments:
    cards: list = field(default_factory=list)
    card_charges: list = field(default_factory=list)
    passes: list = field(default_factory=list)
    cash_charges: list = field(default_factory=list)
    point_charges: list = field(default_factory=list)

    @property
    def charge_total(self) -> int:
        return sum(c.amount for c in self.card_charges)

    @property
    def pass_total(self) -> int:
        return sum(p.price for p in self.passes)

    @property
    def total(self) -> int:
        return self.charge_total + self.pass_total


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=JAPAN)


def month_of_payments(member, *, year: int = 2026, month: int = 10, charges: int = 4) -> MonthOfPayments:
    """In the Japan month: ``charges`` card charges (¥3,000 and ¥5,000 in turn, VISA
    ••••4242), one 3-month pass 大阪⇔三ノ宮 (¥36,960, Mastercard ••••5454) and one
    1-month pass (¥12,970), plus a cash charge and a point charge that a receipt
    must leave out, and a card charge just outside the month on each side."""
    data = MonthOfPayments()
    work = CardFactory(member=member, nickname="仕事用")
    shopping = CardFactory(member=member, nickname="買い物用")
    data.cards = [work, shopping]
    first = date(year, month, 1)
    for i in range(charges):
        card = work if i % 2 == 0 else shopping
        data.card_charges.append(
            UsageRecordFactory(
                card=card, occurred_at=at(first + timedelta(days=i % 27), 8, 15), kind=UsageKind.CHARGE,
                amount=3000 if i % 2 == 0 else 5000, balance=8000, from_station="", to_station="",
                payment_method=PaymentMethodKind.CARD, payment_brand="VISA", payment_last4="4242",
                place="モバイルICOCA",
            )
        )
    data.passes.append(
        CommuterPassFactory(
            card=work, paid_at=at(first + timedelta(days=27), 21, 4), months=3,
            valid_from=first + timedelta(days=30), payment_brand="MASTERCARD", payment_last4="5454",
        )
    )
    data.passes.append(
        CommuterPassFactory(
            card=shopping, paid_at=at(first + timedelta(days=2), 12, 0), months=1, from_station="京都",
            to_station="大阪", via="", kind="student", valid_from=first + timedelta(days=3),
        )
    )
    data.cash_charges.append(
        UsageRecordFactory(card=work, occurred_at=at(first + timedelta(days=5), 9, 0), kind=UsageKind.CHARGE,
                           amount=1000, payment_method=PaymentMethodKind.CASH, from_station="", to_station="")
    )
    data.point_charges.append(
        UsageRecordFactory(card=work, occurred_at=at(first + timedelta(days=6), 9, 0),
                           kind=UsageKind.POINT_CHARGE, amount=500, payment_method=PaymentMethodKind.POINTS,
                           from_station="", to_station="")
    )
    for outside in (at(first, 0, 0) - timedelta(minutes=1), at(first + timedelta(days=40), 0, 0)):
        UsageRecordFactory(card=work, occurred_at=outside, kind=UsageKind.CHARGE, amount=2000,
                           payment_method=PaymentMethodKind.CARD, payment_brand="VISA", payment_last4="4242",
                           from_station="", to_station="")
    return data


def domain_example_refund(member, *, refund_month: tuple[int, int] = (2026, 8)) -> Refund:
    """DOMAIN.md's example: a 6-month pass 大阪⇔三ノ宮 from 2026-04-01 (¥70,040),
    refunded on 2026-08-20 with ¥1,000 balance: 5 months used, fare deducted
    ¥36,960 + 2 × ¥12,970 = ¥62,900, pass part ¥7,140, total ¥7,920. Another
    ``refund_month`` moves every date by whole months, the figures unchanged
    (a test on the real clock passes last month, inside the document window)."""
    year, month = refund_month
    start_year, start_month = (year, month - 4) if month > 4 else (year - 1, month + 8)
    valid_from = date(start_year, start_month, 1)
    card = CardFactory(member=member, nickname="仕事用", status=CardStatus.REFUNDED)
    bought = CommuterPassFactory(card=card, months=6, valid_from=valid_from,
                                 paid_at=at(valid_from - timedelta(days=4), 10, 0))
    return Refund.objects.create(
        center_id=f"R-TEST-{card.pk:06d}", card=card, refunded_at=at(date(year, month, 20), 10, 0), balance=1000,
        commuter_pass=bought, months_used=5, fare_deducted=62900, pass_part=7140, fee=220, total=7920,
        destination_method=DestinationMethod.CARD, destination_brand="VISA", destination_last4="4242",
        digest="0" * 64,
    )
