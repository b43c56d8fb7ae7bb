"""Receipt lines and the tax summary (DOMAIN.md "Charges and receipts"): pure
functions, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from billing.documents.numbering import counter_key, format_number, parse_number
from billing.documents.receipts import (
    CHARGE,
    COMMUTER_PASS,
    ReceiptContent,
    ReceiptLine,
    TaxGroup,
    compose,
    on_receipt,
    payment_label,
    tax_included,
    tax_summary,
)


def charge(amount: int, at: datetime = datetime(2026, 11, 3, 23, 15, tzinfo=UTC), **changes) -> ReceiptLine:
    values = {
        "kind": CHARGE, "at": at, "card_nickname": "仕事用", "card_number": "JW•••••••••••0001",
        "payment_brand": "VISA", "payment_last4": "4242", "amount": amount,
    }
    return ReceiptLine(**(values | changes))


def commuter_pass(amount: int, months: int = 3, at: datetime = datetime(2026, 9, 28, 12, 4, tzinfo=UTC)) -> ReceiptLine:
    return ReceiptLine(
        kind=COMMUTER_PASS, at=at, card_nickname="仕事用", card_number="JW•••••••••••0001", payment_brand="MASTERCARD",
        payment_last4="5454", amount=amount, from_station="大阪", to_station="三ノ宮", pass_kind="commuter",
        months=months, valid_from=date(2026, 10, 1), valid_until=date(2026, 12, 31),
    )


# --- what is on a receipt ------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "method", "listed"),
    [
        ("charge", "card", True),
        ("pass", "card", True),
        ("charge", "cash", False),  # cash charges are in the usage history, never on a receipt
        ("pass", "cash", False),
        ("point_charge", "points", False),  # point charges never
        ("point_charge", "card", False),
        ("ride", "", False),
    ],
)
def test_only_card_payments_are_on_a_receipt(kind, method, listed):
    assert on_receipt(kind=kind, payment_method=method) is listed


# --- the tax: once per rate per document ---------------------------------------------


@pytest.mark.parametrize(
    ("total", "tax"),
    [(36960, 3360), (12970, 1179), (70040, 6367), (110, 10), (109, 9), (1, 0), (0, 0), (11, 1)],
)
def test_tax_included_is_rounded_down(total, tax):
    assert tax_included(total, 10) == tax


def test_tax_is_rounded_once_per_rate_not_per_line():
    # Three 1-month passes at ¥12,970: per line 1,179.09… → 1,179 each = 3,537;
    # once for the document: floor(38,910 × 10 / 110) = 3,537.27… → 3,537. Make the
    # difference visible with fares whose remainders add up past one yen:
    lines = [commuter_pass(105, months=1), commuter_pass(105, months=1), commuter_pass(105, months=1)]
    per_line = sum(tax_included(line.amount, 10) for line in lines)  # 9 + 9 + 9 = 27
    groups = tax_summary(lines)
    assert groups == (TaxGroup(rate=10, total=315, tax=28),)  # floor(3150 / 110) = 28
    assert per_line == 27 != groups[0].tax


def test_charges_are_outside_consumption_tax_and_summed_apart():
    lines = [charge(3000), charge(5000), commuter_pass(36960), commuter_pass(12970, months=1)]
    content = compose(lines)
    assert content.tax_groups == (
        TaxGroup(rate=10, total=49930, tax=4539),  # floor(49,930 × 10 / 110) = 4,539.09…
        TaxGroup(rate=None, total=8000, tax=None),
    )
    assert content.total == 57930
    assert content.has_taxable


def test_only_charges_have_no_taxed_rate():
    content = compose([charge(3000), charge(10000)])
    assert content.tax_groups == (TaxGroup(rate=None, total=13000, tax=None),)
    assert not content.has_taxable


def test_an_empty_period_is_a_document_without_lines():
    content = compose([])
    assert content.is_empty
    assert content.total == 0
    assert content.tax_groups == ()


def test_lines_are_oldest_first():
    late, early = charge(1000, at=datetime(2026, 11, 5, tzinfo=UTC)), charge(2000, at=datetime(2026, 11, 1, tzinfo=UTC))
    assert [line.amount for line in compose([late, early]).lines] == [2000, 1000]


def test_snapshot_round_trip_keeps_every_figure():
    content = compose([charge(3000), commuter_pass(36960)])
    again = ReceiptContent.from_json(content.to_json())
    assert again == content


def test_a_snapshot_whose_total_was_changed_is_refused():
    data = compose([charge(3000)]).to_json()
    data["total"] = 3001
    with pytest.raises(ValueError, match="does not match"):
        ReceiptContent.from_json(data)


@pytest.mark.parametrize("amount", [0, -3000, 1.5, True])
def test_a_line_needs_a_positive_whole_amount(amount):
    with pytest.raises(ValueError):
        charge(amount)


def test_a_line_needs_an_aware_time():
    with pytest.raises(ValueError, match="aware"):
        charge(1000, at=datetime(2026, 11, 1))


# --- how a payment card reads (the words of a line: test_document_wording.py) ------------


def test_payment_cards_read_like_everywhere_else():
    assert payment_label("VISA", "4242") == "VISA ••••4242"
    assert payment_label("AMEX", "0005") == "American Express ••••0005"


# --- numbers -------------------------------------------------------------------------


def test_document_numbers():
    assert format_number("receipt", 2026, 11, 123) == "R-202611-000123"
    assert format_number("refund_statement", 2026, 1, 45) == "S-202601-000045"
    assert format_number("receipt", 2026, 11, 1234567) == "R-202611-1234567"  # grows, stays unique
    assert counter_key("receipt", 2026, 11) == "R-202611"
    parsed = parse_number("R-202611-000123")
    assert (parsed.kind, parsed.year, parsed.month, parsed.sequence) == ("receipt", 2026, 11, 123)


@pytest.mark.parametrize("text", ["", "R-202613-000001", "X-202611-000001", "R-202611-12", "R202611000123"])
def test_not_a_document_number(text):
    with pytest.raises(ValueError):
        parse_number(text)
