"""Every refusal of the document services reads in the language of whoever shows it: raised
while Japanese is active (a task, a shell), shown on an English page, it holds no Japanese."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import translation

from accounts.exceptions import PortalError
from accounts.tests.factories import MemberFactory
from billing.documents import emailing as document_mail
from billing.documents import services as document_services
from billing.models import Document, DocumentStatus
from billing.tests.document_data import domain_example_refund, month_of_payments

pytestmark = pytest.mark.django_db
JAPAN = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=JAPAN)
#: Hiragana, katakana, CJK ideographs, full-width forms and Japanese punctuation (、。「」).
JAPANESE = re.compile("[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff9f]")


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def member():
    return MemberFactory(name="山田 花子", email="hanako@example.jp")


def not_ready(member) -> Document:
    return Document.objects.create(
        member=member, kind="receipt", number="R-202611-000009", language="ja", total_amount=3000,
        content={"v": 2, "lines": [], "tax_groups": [], "total": 0}, issuer_name="西日本旅客鉄道株式会社",
        issuer_registration_number="T1234567890123", status=DocumentStatus.PENDING,
        period_start=date(2026, 10, 1), period_end=date(2026, 10, 31),
    )


def inconsistent_refund(member):
    refund = domain_example_refund(member)
    refund.total = 27900
    return refund


REFUSALS = {
    "start after end": lambda m: document_services.receipt_request(member=m, start=date(2026, 11, 10),
                                                                   end=date(2026, 11, 1)),
    "end after today": lambda m: document_services.receipt_request(member=m, start=date(2026, 11, 1),
                                                                   end=date(2026, 11, 26)),
    "before the window": lambda m: document_services.receipt_request(member=m, start=date(2025, 10, 31),
                                                                     end=date(2025, 11, 30)),
    "no such month": lambda m: document_services.receipt_request_month(member=m, year=2026, month=13),
    "a month to come": lambda m: document_services.receipt_request_month(member=m, year=2026, month=12),
    "no card payments": lambda m: document_services.receipt_request_month(member=m, year=2026, month=8),
    "no such payment": lambda m: document_services.receipt_request_payment(member=m, payment_ref="charge:nope"),
    "someone else's refund": lambda m: document_services.refund_statement_request(
        member=m, refund=domain_example_refund(MemberFactory())),
    "a refund that does not add up": lambda m: document_services.refund_statement_request(
        member=m, refund=inconsistent_refund(m)),
    "a reprint of a document not issued": lambda m: document_services.document_reprint(member=m, document=not_ready(m)),
    "an unknown language": lambda m: document_services.receipt_request_month(member=m, year=2026, month=10,
                                                                            language="fr"),
    "a reprint in an unknown language": lambda m: document_services.document_reprint(
        member=m, document=not_ready(m), language="xx"),
    "an e-mail of a document not made": lambda m: document_mail.document_email_resend(member=m, document=not_ready(m)),
}


@pytest.mark.parametrize("refusal", REFUSALS, ids=list(REFUSALS))
def test_each_refusal_reads_in_english_on_an_english_page(member, refusal):
    month_of_payments(member)  # October has card payments (and 09-30, 11-10); August has none
    with translation.override("ja"), pytest.raises(PortalError) as raised:
        REFUSALS[refusal](member)
    japanese = str(raised.value)
    assert JAPANESE.search(japanese), japanese  # the same refusal reads in Japanese on a Japanese page
    with translation.override("en"):
        english = str(raised.value)
    assert english and not JAPANESE.search(english), english
    assert english.isascii(), english
