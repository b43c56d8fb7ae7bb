"""A document's figures are fixed when it is issued: stored content v1 and v2 documents
(written here as JSON, not made by today's code) render the same figures after the tax
rate and the refund rules change, and the data migration fills v1 documents' new fields
from what they printed."""

from __future__ import annotations

import copy
import importlib
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps

from billing.documents import receipts, refund_statements
from billing.documents import rendering as pdf
from billing.documents.receipts import ReceiptContent
from billing.documents.refund_statements import RefundStatementContent

JAPAN = ZoneInfo("Asia/Tokyo")

RECEIPT_V1 = {
    "lines": [
        {"kind": "charge", "at": "2026-10-03T08:15:00+09:00", "card_nickname": "仕事用",
         "card_number": "JW•••••••••••0001", "payment_brand": "VISA", "payment_last4": "4242", "amount": 3000},
        {"kind": "pass", "at": "2026-10-01T07:50:00+09:00", "card_nickname": "仕事用",
         "card_number": "JW•••••••••••0001", "payment_brand": "VISA", "payment_last4": "4242", "amount": 36960,
         "from_station": "大阪", "to_station": "三ノ宮", "pass_kind": "commuter", "months": 3,
         "valid_from": "2026-10-01", "valid_until": "2026-12-31"},
    ],
    "total": 39960,
}
RECEIPT_V2 = {
    "v": 2,
    "lines": [
        {**RECEIPT_V1["lines"][1], "tax_rate": 10},
        {**RECEIPT_V1["lines"][0], "tax_rate": None},
    ],
    "tax_groups": [{"rate": 10, "total": 36960, "tax": 3360}, {"rate": None, "total": 3000, "tax": None}],
    "total": 39960,
}
# DOMAIN.md's example: a 6-month pass from Apr 1 refunded Aug 20: 5 months used.
REFUND_V1 = {
    "refunded_at": "2026-08-20T11:20:00+09:00", "card_nickname": "", "card_number": "JW•••••••••••0002",
    "balance": 3200, "fee": 220, "total": 10120, "destination_method": "card", "destination_brand": "VISA",
    "destination_last4": "4242", "months_used": 5, "fare_deducted": 62900, "pass_part": 7140,
    "commuter_pass": {
        "from_station": "大阪", "to_station": "三ノ宮", "via": "JR神戸線", "pass_kind": "commuter", "months": 6,
        "valid_from": "2026-04-01", "valid_until": "2026-09-30", "price": 70040,
        "fares": {"1": 12970, "3": 36960, "6": 70040},
    },
}
REFUND_V2 = {
    **REFUND_V1, "v": 2, "before_fee": 10340, "pass_refundable": True, "pass_reason": None,
    "fare_lines": [{"pass_months": 3, "count": 1, "fare": 36960, "amount": 36960},
                   {"pass_months": 1, "count": 2, "fare": 12970, "amount": 25940}],
}


def header(kind: str) -> pdf.Header:
    return pdf.Header(kind=kind, number="R-202610-000001", language="ja",
                      issued_at=datetime(2026, 11, 2, 9, 0, tzinfo=JAPAN), issuer_name="西日本旅客鉄道株式会社",
                      registration_number="T1234567890123", addressee="山田 花子")


def receipt_text(stored: dict) -> str:
    html = pdf.receipt_html(header=header("receipt"), content=ReceiptContent.from_json(copy.deepcopy(stored)),
                            period=pdf.Period(start=date(2026, 10, 1), end=date(2026, 10, 31)))
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def statement_text(stored: dict) -> str:
    html = pdf.refund_statement_html(header=header("refund_statement"),
                                     content=RefundStatementContent.from_json(copy.deepcopy(stored)))
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture
def rules_changed(monkeypatch):
    """The tax rate and the refund rules as they might become: none may touch an issued document."""
    monkeypatch.setattr(receipts, "PASS_TAX_RATE", 8)

    def refused(*args, **kwargs):
        raise AssertionError("an issued document was recomputed with the refund rules")

    monkeypatch.setattr(refund_statements, "compute_refund", refused)
    monkeypatch.setattr(refund_statements, "used_fare_lines", refused)


@pytest.mark.parametrize("stored", [RECEIPT_V1, RECEIPT_V2], ids=["v1", "v2"])
def test_a_stored_receipt_prints_its_figures_after_the_tax_rate_changes(stored):
    before = receipt_text(stored)
    assert "10%対象" in before and "3,360円" in before and "39,960円" in before and "不課税" in before
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(receipts, "PASS_TAX_RATE", 8)
        after = receipt_text(stored)
    assert after == before
    assert "8%" not in after and "2,737" not in after


@pytest.mark.parametrize("stored", [REFUND_V1, REFUND_V2], ids=["v1", "v2"])
def test_a_stored_refund_statement_prints_its_steps_after_the_refund_rules_change(stored, rules_changed):
    text = statement_text(stored)
    for figure in ("70,040円", "36,960円", "12,970円", "62,900円", "7,140円", "3,200円", "220円", "10,120円"):
        assert figure in text, figure
    assert "5" in text


def test_v1_and_v2_print_the_same_figures():
    assert receipt_text(RECEIPT_V1) == receipt_text(RECEIPT_V2)
    assert statement_text(REFUND_V1) == statement_text(REFUND_V2)


def test_todays_content_is_v2_with_every_printed_figure():
    content = ReceiptContent.from_json(copy.deepcopy(RECEIPT_V1)).to_json()
    assert content["v"] == 2
    assert content["tax_groups"] == RECEIPT_V2["tax_groups"]
    assert {line["tax_rate"] for line in content["lines"]} == {10, None}
    statement = RefundStatementContent.from_json(copy.deepcopy(REFUND_V1)).to_json()
    assert {key: statement[key] for key in REFUND_V2} == REFUND_V2


def test_a_stored_v2_receipt_keeps_its_own_rate_even_if_it_was_not_todays():
    eight = copy.deepcopy(RECEIPT_V2)
    eight["lines"][0]["tax_rate"] = 8
    eight["tax_groups"][0] = {"rate": 8, "total": 36960, "tax": 2737}
    text = receipt_text(eight)
    assert "8%対象" in text and "2,737円" in text and "10%" not in text


@pytest.mark.parametrize("bad", [{**RECEIPT_V2, "v": 3}, {**RECEIPT_V1, "total": 1}])
def test_an_unknown_version_or_a_v1_that_does_not_add_up_is_refused(bad):
    with pytest.raises(ValueError):
        ReceiptContent.from_json(copy.deepcopy(bad))


@pytest.mark.django_db
def test_the_data_migration_fills_v1_documents_from_what_they_printed(rules_changed, monkeypatch):
    from accounts.tests.factories import MemberFactory
    from billing.documents.models import Document
    from cards.tests.history_factories import RefundFactory

    member = MemberFactory()
    common = {"member": member, "language": "ja", "issuer_name": "西日本旅客鉄道株式会社",
              "issuer_registration_number": "T1234567890123"}
    receipt = Document.objects.create(kind="receipt", number="R-202610-000001", content=copy.deepcopy(RECEIPT_V1),
                                      total_amount=39960, period_start=date(2026, 10, 1),
                                      period_end=date(2026, 10, 31), **common)
    statement = Document.objects.create(kind="refund_statement", number="S-202608-000001",
                                        content=copy.deepcopy(REFUND_V1), total_amount=10120,
                                        refund=RefundFactory(card__member=member), **common)
    already = Document.objects.create(kind="receipt", number="R-202610-000002", content=copy.deepcopy(RECEIPT_V2),
                                      total_amount=39960, period_start=date(2026, 10, 1),
                                      period_end=date(2026, 10, 31), **common)

    importlib.import_module("billing.migrations.0004_document_content_v2").forwards(apps, None)

    receipt.refresh_from_db()
    statement.refresh_from_db()
    already.refresh_from_db()
    assert receipt.content["v"] == 2 and receipt.content["tax_groups"][0] == {"rate": 10, "total": 36960, "tax": 3360}
    assert {key: statement.content[key] for key in REFUND_V2} == REFUND_V2
    assert already.content == RECEIPT_V2
