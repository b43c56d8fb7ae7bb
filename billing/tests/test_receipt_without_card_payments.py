"""A period with no payment by registered card: no receipt (no number, no row, no e-mail),
a clear message; the month list starts at the last finished month; the monthly statement
skips a member with nothing that month."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from accounts.tests.factories import MemberFactory
from billing import tasks
from billing.documents import services as document_services
from billing.documents.exceptions import NoCardPayments
from billing.models import Document, DocumentCounter, DocumentOrigin
from billing.tests.document_data import month_of_payments
from cards.models import PaymentMethodKind, UsageKind
from cards.tests.factories import CardFactory, UsageRecordFactory

pytestmark = pytest.mark.django_db(transaction=True)
JAPAN = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=JAPAN)


@pytest.fixture(autouse=True)
def frozen_time(eager_tasks, media_root):
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def hanako():
    return MemberFactory(name="山田 花子", email="hanako@example.jp", email_monthly_statement=True)


def cash_and_points_only(member, day: date) -> None:
    """Charges that are never on a receipt: cash and points."""
    card = CardFactory(member=member)
    at = datetime(day.year, day.month, day.day, 9, 0, tzinfo=JAPAN)
    UsageRecordFactory(card=card, occurred_at=at, kind=UsageKind.CHARGE, amount=1000,
                       payment_method=PaymentMethodKind.CASH, from_station="", to_station="")
    UsageRecordFactory(card=card, occurred_at=at, kind=UsageKind.POINT_CHARGE, amount=500,
                       payment_method=PaymentMethodKind.POINTS, from_station="", to_station="")


@pytest.mark.parametrize(
    "ask",
    [
        lambda member: document_services.receipt_request_month(member=member, year=2026, month=9),
        lambda member: document_services.receipt_request(member=member, start=date(2026, 9, 1), end=date(2026, 9, 30)),
    ],
    ids=["month", "period"],
)
def test_a_period_without_card_payments_is_refused_and_uses_no_number(hanako, ask):
    cash_and_points_only(hanako, date(2026, 9, 10))
    with pytest.raises(NoCardPayments, match="この期間に登録カードでのお支払いはありません。"):
        ask(hanako)
    assert not Document.objects.exists()
    assert not DocumentCounter.objects.exists()  # no number taken
    assert not mail.outbox

    month_of_payments(hanako)  # the next real receipt is the month's first number
    document = document_services.receipt_request_month(member=hanako, year=2026, month=10).document
    assert document.number == "R-202611-000001"


def test_the_page_says_so_in_the_members_language(client, hanako, settings):
    client.force_login(hanako)
    response = client.post("/documents/request/", {"mode": "month", "month": "2026-09"})
    assert response.status_code == 400
    assert "この期間に登録カードでのお支払いはありません。" in response.content.decode()

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post("/documents/request/", {"mode": "period", "start": "2026-09-01", "end": "2026-09-30"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "There were no card payments in this period" in page
    assert "お支払いはありません" not in page
    assert not Document.objects.exists() and not mail.outbox


def selected_month(page: str) -> str:
    (chosen,) = re.findall(r'<option value="(\d{4}-\d\d)" selected>', page)
    return chosen


@pytest.mark.parametrize(
    ("today", "expected"),
    [(NOW, "2026-10"), (datetime(2027, 1, 5, 9, 0, tzinfo=JAPAN), "2026-12"),
     (datetime(2026, 11, 30, 23, 59, tzinfo=JAPAN), "2026-10"), (datetime(2026, 12, 1, 0, 0, tzinfo=JAPAN), "2026-11")],
)
def test_the_month_list_starts_at_the_last_finished_month(client, hanako, today, expected):
    with time_machine.travel(today, tick=False):
        client.force_login(hanako)
        page = client.get("/documents/").content.decode()
    assert selected_month(page) == expected


def test_the_month_list_keeps_what_the_member_chose_when_a_request_is_refused(client, hanako):
    client.force_login(hanako)
    page = client.post("/documents/request/", {"mode": "month", "month": "2026-08"}).content.decode()
    assert selected_month(page) == "2026-08"


def test_the_monthly_statement_skips_a_member_without_card_payments_that_month(hanako):
    paid = MemberFactory(email="taro@example.jp", email_monthly_statement=True)
    month_of_payments(paid)
    cash_and_points_only(hanako, date(2026, 10, 10))
    month_of_payments(hanako, year=2026, month=8)  # payments in another month do not count (up to 09-10)
    with time_machine.travel(datetime(2026, 11, 1, 6, 0, tzinfo=JAPAN), tick=False):
        tasks.monthly_statements_queue.delay().get()
        assert tasks.monthly_statement_create.delay(hanako.pk, 2026, 10).get() is False
    (document,) = Document.objects.all()
    assert (document.member, document.origin) == (paid, DocumentOrigin.MONTHLY)
    assert [message.to for message in mail.outbox] == [["taro@example.jp"]]
    assert DocumentCounter.objects.get().last == 1
