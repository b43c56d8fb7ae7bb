"""How a receipt prints beyond its figures: the 不課税 note only when the receipt has a
charge, and the お支払い column that keeps a brand and its last 4 together."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.tests.factories import MemberFactory
from billing.documents import services as document_services
from billing.tests.document_data import month_of_payments
from billing.tests.test_document_pdf import pdf_path, poppler, text_of
from cards.models import PaymentMethodKind, UsageKind
from cards.tests.factories import UsageRecordFactory

pytestmark = pytest.mark.django_db(transaction=True)
JAPAN = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=JAPAN)
CHARGE_NOTE = {"ja": "チャージ（ICOCAへの入金）は消費税の課税対象外（不課税）です。",
               "en": "Charges (stored value added to ICOCA) are not subject to consumption tax"}
PASS_NOTE = {"ja": "定期券の金額は消費税等（10%）を含みます。", "en": "Commuter pass amounts include consumption tax (10%)."}


def notes_of(document, tmp_path) -> str:
    """The text in reading order (the notes stand beside the tax table), white space made one."""
    return " ".join(poppler("pdftotext", pdf_path(document, tmp_path)).split())


@pytest.fixture(autouse=True)
def frozen_time(eager_tasks, media_root):
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def member():
    return MemberFactory(name="山田 花子", email="hanako@example.jp")


@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_pass_paid_alone_has_no_note_about_charges(member, tmp_path, language):
    member.language = language
    member.save()
    data = month_of_payments(member)
    document = document_services.receipt_request_payment(
        member=member, payment_ref=f"pass:{data.passes[0].center_id}"
    ).document
    text = notes_of(document, tmp_path)
    assert PASS_NOTE[language] in text
    assert CHARGE_NOTE[language] not in text
    assert "不課税" not in text and "Not subject to consumption tax" not in text


@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_receipt_with_charges_has_the_note(member, tmp_path, language):
    member.language = language
    member.save()
    month_of_payments(member)
    document = document_services.receipt_request_month(member=member, year=2026, month=10).document
    text = notes_of(document, tmp_path)
    assert CHARGE_NOTE[language] in text and PASS_NOTE[language] in text


@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_charge_alone_has_no_note_about_passes(member, tmp_path, language):
    member.language = language
    member.save()
    data = month_of_payments(member)
    document = document_services.receipt_request_payment(
        member=member, payment_ref=f"charge:{data.card_charges[0].center_id}"
    ).document
    text = notes_of(document, tmp_path)
    assert CHARGE_NOTE[language] in text and PASS_NOTE[language] not in text


def test_the_payment_column_keeps_a_brand_and_its_last_4_together(member, tmp_path):
    data = month_of_payments(member)
    for day, brand, last4 in ((20, "AMEX", "0005"), (21, "JCB", "0106")):
        UsageRecordFactory(card=data.cards[0], occurred_at=datetime(2026, 10, day, 8, 15, tzinfo=JAPAN),
                           kind=UsageKind.CHARGE, amount=2000, from_station="", to_station="",
                           payment_method=PaymentMethodKind.CARD, payment_brand=brand, payment_last4=last4)
    document = document_services.receipt_request_month(member=member, year=2026, month=10).document
    text = text_of(pdf_path(document, tmp_path))
    # one line each: every charge row reads time, card, what, the card paid with, amount, tax
    for brand in ("VISA ••••4242", "JCB ••••0106"):
        assert re.search(rf"^2026/10/\d\d 08:15 \S+ JW•{{11}}\d{{4}} チャージ {brand} [\d,]+円 不課税$", text, re.M), brand
    # the pass rows wrap in the 内容 column, but the card paid with stays on their first line
    assert re.search(r"^2026/10/28 21:04 .*Mastercard ••••5454 36,960円 10%（税込）$", text, re.M), text
    # a long brand name breaks, if at all, only before its number, never inside "American Express"
    lines = text.splitlines()
    amex = next(i for i, line in enumerate(lines) if line.startswith("2026/10/20 08:15"))
    assert "American Express" in lines[amex], lines[amex:amex + 2]
    assert "••••0005" in " ".join(lines[amex:amex + 2])
