"""One member with everything a member page can show, for the browser walks over every
page: an active card with a pass, a deposited and a suspended card, a refunded card
with its refund, a month of card payments, points of every category, a payment card,
documents (one ready, one failed), and many payments for the one-payment picker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.test import Client
from django.utils import timezone

from accounts.tests.factories import MemberFactory
from billing.models import Document, DocumentStatus
from billing.tests.document_data import month_of_payments
from billing.tests.factories import PaymentMethodFactory
from cards.models import CardStatus, DestinationMethod, Device, PaymentMethodKind, PointsKind, Refund, UsageKind
from cards.tests.factories import CardFactory, CommuterPassFactory, PointsEntryFactory, UsageRecordFactory
from cards.window import japan_today

JAPAN = ZoneInfo("Asia/Tokyo")


@dataclass
class MemberData:
    member: object
    active: object
    deposited: object
    suspended: object
    refunded: object
    refund: Refund
    ready_document: Document
    failed_document: Document


def japan_at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=JAPAN)


def member_with_everything(*, payments: int = 100) -> MemberData:
    today = japan_today()
    member = MemberFactory(wester_id="demo-hanako", name="山田 花子", email="hanako.yamada@example.jp",
                           last_signed_in_at=timezone.now() - timedelta(days=2))
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    paid = month_of_payments(member, year=last_month.year, month=last_month.month, charges=4)
    active, shopping = paid.cards
    active.nickname, active.device = "仕事用", Device.IPHONE
    active.save()
    shopping.nickname, shopping.status, shopping.device = "買い物用", CardStatus.DEPOSITED, Device.ANDROID
    shopping.save()
    CommuterPassFactory(card=active, months=1, valid_from=today - timedelta(days=20),
                        valid_until=today + timedelta(days=10))
    suspended = CardFactory(member=member, nickname="時計", device=Device.APPLE_WATCH, status=CardStatus.SUSPENDED,
                            suspended_at=timezone.now() - timedelta(days=1))
    refunded = CardFactory(member=member, nickname="旧端末", status=CardStatus.REFUNDED, balance=2920)
    refund_day = today - timedelta(days=40)
    refunded_pass = CommuterPassFactory(card=refunded, months=6, valid_from=refund_day - timedelta(days=60),
                                        paid_at=japan_at(refund_day - timedelta(days=62), 10))
    refund = Refund.objects.create(
        center_id=f"R-WALK-{refunded.pk:06d}", card=refunded, refunded_at=japan_at(refund_day, 10), balance=2920,
        commuter_pass=refunded_pass, months_used=3, fare_deducted=36960, pass_part=33080, fee=220, total=35780,
        destination_method=DestinationMethod.CARD, destination_brand="VISA", destination_last4="4242",
        digest="0" * 64,
    )
    # Many card payments over the window: the one-payment picker must stay usable.
    for n in range(payments):
        UsageRecordFactory(
            card=active, occurred_at=japan_at(today - timedelta(days=2 + n * 3), 7 + n % 12, n % 60),
            kind=UsageKind.CHARGE, amount=1000 + (n % 7) * 500, balance=9000, from_station="", to_station="",
            payment_method=PaymentMethodKind.CARD, payment_brand="VISA", payment_last4="4242", place="モバイルICOCA",
        )
    for days, category in enumerate(
        ["ride_count", "expiry", "icoca_charge", "jwest_card", "pass_payment", "campaign", "new_kind"], start=1
    ):
        kind = PointsKind.EXPIRE if category == "expiry" else PointsKind.EARN
        PointsEntryFactory(member=member, occurred_at=timezone.now() - timedelta(days=days), kind=kind,
                           points=-12 if category == "expiry" else 15 * days, category=category)
    PaymentMethodFactory(member=member, brand="VISA", last4="4242", is_default=True)
    common = {"member": member, "language": "ja", "issuer_name": "西日本旅客鉄道株式会社",
              "issuer_registration_number": settings.PORTAL_INVOICE_REGISTRATION_NUMBER,
              "content": {"lines": [], "total": 0}, "total_amount": 0}
    ready = Document.objects.create(kind="receipt", number="R-202611-000042", status=DocumentStatus.READY,
                                    file="documents/walk-example.pdf", sha256="0" * 64, first_issued_at=timezone.now(),
                                    period_start=last_month, period_end=today.replace(day=1) - timedelta(days=1),
                                    **common)
    failed = Document.objects.create(kind="receipt", number="R-202611-000043", status=DocumentStatus.FAILED,
                                     period_start=last_month, period_end=last_month + timedelta(days=9), **common)
    return MemberData(member, active, shopping, suspended, refunded, refund, ready, failed)


def sign_in_browser(context, live_server, member) -> None:
    """Give the browser the session of a signed-in member (the sign-in itself has its own tests)."""
    member.refresh_from_db()  # as a real sign-in reads it: plain strings, not the factory's enum members
    client = Client()
    client.force_login(member)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}])
