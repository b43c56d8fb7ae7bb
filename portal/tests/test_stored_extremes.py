"""No stored value makes a page answer 500: the most extreme values the columns hold (the
first and last datetime and date Python and the database share, the widest integers of each
column) on every table a member's pages and the support member page read, written before
FEED.md's limits existed or by any other path. Runs on PostgreSQL and on SQLite."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse

from accounts.tests.factories import MemberFactory
from billing.documents.models import Document
from cards.models import Card, PaymentMethodKind, UsageKind
from cards.tests.factories import CardFactory, CommuterPassFactory, PointsEntryFactory, UsageRecordFactory
from cards.tests.history_factories import RefundFactory
from cards.window import JAPAN
from support.tests.helpers import agent

pytestmark = pytest.mark.django_db(transaction=False)

LAST = datetime.max.replace(tzinfo=UTC)  # 9999-12-31T23:59:59.999999Z: 9 hours later in Japan is year 10000
FIRST = datetime.min.replace(tzinfo=UTC)  # 0001-01-01T00:00:00Z
INT_MAX, INT_MIN = 2**31 - 1, -(2**31)  # integer columns (PostgreSQL integer)
POSITIVE_MAX = 2**31 - 1  # PositiveIntegerField
SMALL_MAX = 32767  # PositiveSmallIntegerField
CARD_BALANCE_MAX = 20000  # the card's check constraint


@pytest.fixture
def extreme_member():
    member = MemberFactory(name="山田 花子", last_signed_in_at=LAST)
    last = CardFactory(
        member=member, nickname="最後", issued_at=LAST, balance=CARD_BALANCE_MAX, balance_at=LAST, suspended_at=LAST,
    )
    first = CardFactory(member=member, nickname="最初", issued_at=FIRST, balance=0, balance_at=FIRST)
    CardFactory(member=member, nickname="なし", balance=None, balance_at=None)
    for card in (last, first):
        for valid_from, valid_until, months in ((date.min, date.max, 6), (date.max, date.max, 1),
                                                 (date.min, date.min, 3)):  # months: 1, 3 or 6 (constraint)
            CommuterPassFactory(
                card=card, valid_from=valid_from, valid_until=valid_until, months=months, price=POSITIVE_MAX,
                fare_1_month=POSITIVE_MAX, fare_3_months=POSITIVE_MAX, fare_6_months=POSITIVE_MAX,
                paid_at=LAST if card is last else FIRST,
            )
        for at in (LAST, FIRST):
            for amount, balance in ((INT_MAX, INT_MAX), (INT_MIN, INT_MIN)):
                UsageRecordFactory(card=card, occurred_at=at, amount=amount, balance=balance, kind="adjustment",
                                   note="極端な値", from_station="", to_station="")
        for at in (LAST, FIRST):
            RefundFactory(card=card, refunded_at=at, balance=POSITIVE_MAX, fee=POSITIVE_MAX, total=POSITIVE_MAX,
                          pass_part=POSITIVE_MAX, months_used=SMALL_MAX, fare_deducted=POSITIVE_MAX)
    for at in (LAST, FIRST):
        for points in (INT_MAX, INT_MIN):
            PointsEntryFactory(member=member, occurred_at=at, points=points)
    return member


def pages(member):
    cards = list(Card.objects.filter(member=member))
    urls = ["/", reverse("cards:points"), reverse("cards:history"), reverse("cards:history-export"),
            reverse("documents:document-list"), reverse("documents:refund-list")]
    for card in cards:
        urls += [
            reverse("cards:card-detail", args=[card.public_id]),
            f"{reverse('cards:history')}?card={card.public_id}",
            f"{reverse('cards:history-export')}?card={card.public_id}",
        ]
    return urls


def test_a_members_pages_answer(client, extreme_member):
    client.force_login(extreme_member)
    for url in pages(extreme_member):
        response = client.get(url)
        assert response.status_code in (200, 400), (url, response.status_code)
        if url.endswith("export.csv"):
            b"".join(response.streaming_content if response.streaming else [response.content])


def test_a_receipt_is_requested_and_downloaded(client, extreme_member, django_capture_on_commit_callbacks):
    client.force_login(extreme_member)
    paid_at = datetime.now(UTC) - timedelta(minutes=1)
    # A receipt is for card payments (a period with none is refused): the widest charge paid by card.
    UsageRecordFactory(card=extreme_member.cards.get(nickname="最初"), occurred_at=paid_at, kind=UsageKind.CHARGE,
                       amount=INT_MAX, balance=INT_MAX, payment_method=PaymentMethodKind.CARD, payment_brand="visa",
                       payment_last4="4242", from_station="", to_station="")
    month = f"{paid_at.astimezone(JAPAN):%Y-%m}"
    with django_capture_on_commit_callbacks(execute=True):  # the PDF is made after the commit
        response = client.post(reverse("documents:document-request"), {"mode": "month", "month": month})
    assert response.status_code == 302, re.findall(r"errorlist[^>]*>(.*?)</ul>", response.content.decode(), re.S)
    detail = client.get(response["Location"])
    assert detail.status_code == 200
    document = Document.objects.get(member=extreme_member)
    download = client.get(reverse("documents:document-download", args=[document.public_id]))
    assert download.status_code == 200, download.status_code
    assert b"".join(download.streaming_content if download.streaming else [download.content]).startswith(b"%PDF")
    listing = client.get(reverse("documents:document-list"))
    assert listing.status_code == 200


def test_the_support_member_page_answers(client, extreme_member):
    client.force_login(agent())
    response = client.get(reverse("admin:accounts_member_change", args=[extreme_member.pk]))
    assert response.status_code == 200
    assert "山田 花子" in response.content.decode()
