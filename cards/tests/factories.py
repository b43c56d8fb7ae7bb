"""factory_boy factories for the cards app, shared by every app's tests.

Defaults read like the demo: a VISA-paid 大阪⇔三ノ宮 commuter pass, rides
between Kansai stations, an Android phone. Times are aware (UTC), pass dates
are Japan dates.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import factory
from django.utils import timezone

from accounts.tests.factories import MemberFactory
from cards.models import (
    Card,
    CardStatus,
    CommuterPass,
    Device,
    PassKind,
    PaymentMethodKind,
    PointsEntry,
    PointsKind,
    UsageKind,
    UsageRecord,
)
from cards.window import japan_today


def _digest(n: int) -> str:
    return hashlib.sha256(f"factory-{n}".encode()).hexdigest()


def _months_later(day, months: int):
    """The last day a pass of ``months`` months starting on ``day`` is valid."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    try:
        end = day.replace(year=year, month=month)
    except ValueError:  # the 31st of a shorter month: the pass ends at month end
        end = day.replace(year=year, month=month, day=1) + timedelta(days=31)
        end = end.replace(day=1)
    return end - timedelta(days=1)


class CardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Card

    member = factory.SubFactory(MemberFactory)
    icoca_number = factory.Sequence(lambda n: f"JW7A{n:013d}")
    nickname = ""
    device = Device.ANDROID
    status = CardStatus.ACTIVE
    issued_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=400))
    balance = 4210
    balance_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=3))

    class Params:
        deposited = factory.Trait(status=CardStatus.DEPOSITED)
        suspended = factory.Trait(
            status=CardStatus.SUSPENDED, suspended_at=factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
        )
        reissued = factory.Trait(status=CardStatus.REISSUED)
        refunded = factory.Trait(status=CardStatus.REFUNDED)


class CommuterPassFactory(factory.django.DjangoModelFactory):
    """A pass that started today (Japan date) unless ``valid_from`` or
    ``valid_until`` say otherwise; ``valid_until`` follows from ``months``."""

    class Meta:
        model = CommuterPass

    center_id = factory.Sequence(lambda n: f"P-TEST-{n:010d}")
    card = factory.SubFactory(CardFactory)
    kind = PassKind.COMMUTER
    from_station = "大阪"
    to_station = "三ノ宮"
    via = "JR神戸線"
    months = 3
    valid_from = factory.LazyFunction(japan_today)
    valid_until = factory.LazyAttribute(lambda o: _months_later(o.valid_from, o.months))
    fare_1_month = 12970
    fare_3_months = 36960
    fare_6_months = 70040
    price = factory.LazyAttribute(lambda o: {1: o.fare_1_month, 3: o.fare_3_months, 6: o.fare_6_months}[o.months])
    paid_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=3))
    payment_method = PaymentMethodKind.CARD
    payment_brand = "VISA"
    payment_last4 = "4242"
    digest = factory.Sequence(_digest)


class UsageRecordFactory(factory.django.DjangoModelFactory):
    """A ride 大阪→京都 (−¥580) by default."""

    class Meta:
        model = UsageRecord

    center_id = factory.Sequence(lambda n: f"U-TEST-{n:012d}")
    card = factory.SubFactory(CardFactory)
    occurred_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    kind = UsageKind.RIDE
    amount = -580
    balance = 4210
    from_station = "大阪"
    to_station = "京都"


class PointsEntryFactory(factory.django.DjangoModelFactory):
    """128 basic points earned for rides."""

    class Meta:
        model = PointsEntry

    center_id = factory.Sequence(lambda n: f"W-TEST-{n:010d}")
    member = factory.SubFactory(MemberFactory)
    occurred_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=5))
    kind = PointsKind.EARN
    points = 128
    category = "ride_count"
    digest = factory.Sequence(_digest)
