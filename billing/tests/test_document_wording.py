"""The words around a document's figures, in the document's language (gettext), and
station names in English from the station table on English documents."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.utils import translation

from billing.documents import wording
from billing.documents.receipts import CHARGE, COMMUTER_PASS, ReceiptLine
from portal.money import yen


def charge(amount: int = 3000, **changes) -> ReceiptLine:
    values = {
        "kind": CHARGE, "at": datetime(2026, 11, 3, 23, 15, tzinfo=UTC), "card_nickname": "仕事用",
        "card_number": "JW•••••••••••0001", "payment_brand": "VISA", "payment_last4": "4242", "amount": amount,
    }
    return ReceiptLine(**(values | changes))


def commuter_pass(amount: int = 36960, months: int = 3, **changes) -> ReceiptLine:
    values = {
        "kind": COMMUTER_PASS, "at": datetime(2026, 9, 28, 12, 4, tzinfo=UTC), "card_nickname": "仕事用",
        "card_number": "JW•••••••••••0001", "payment_brand": "MASTERCARD", "payment_last4": "5454", "amount": amount,
        "from_station": "大阪", "to_station": "三ノ宮", "pass_kind": "commuter", "months": months,
        "valid_from": date(2026, 10, 1), "valid_until": date(2026, 12, 31),
    }
    return ReceiptLine(**(values | changes))


def lines(language: str, *receipt_lines: ReceiptLine) -> list[wording.DisplayLine]:
    with translation.override(language):
        return wording.display_lines(receipt_lines)


def test_a_line_reads_as_the_issue_describes_it():
    (line,) = lines("ja", commuter_pass())
    assert line.when == "2026/09/28 21:04"  # Japan time
    assert line.card == "仕事用 JW•••••••••••0001"
    assert line.description == "定期券 大阪⇔三ノ宮 通勤 3か月 2026/10/01〜2026/12/31"
    assert line.payment == "Mastercard ••••5454"
    assert line.amount == "36,960円"
    assert line.tax == "10%（税込）"
    (line,) = lines("ja", charge())
    assert (line.when, line.description, line.payment, line.tax) == (
        "2026/11/04 08:15", "チャージ", "VISA ••••4242", "不課税",
    )


def test_english_lines_with_english_station_names():
    charged, bought, one_month = lines("en", charge(), commuter_pass(), commuter_pass(12970, months=1))
    assert (charged.description, charged.tax, charged.amount) == ("Charge", "Not taxable", "¥3,000")
    assert bought.description == "Commuter pass Osaka⇔Sannomiya (commuter, 3 months) 2026/10/01–2026/12/31"
    assert bought.tax == "10% incl."
    assert one_month.description == "Commuter pass Osaka⇔Sannomiya (commuter, 1 month) 2026/10/01–2026/12/31"
    assert [str(part) for part in bought.description_parts] == [
        "Commuter pass", "Osaka⇔Sannomiya", "(commuter, 3 months)", "2026/10/01–2026/12/31",
    ]
    assert yen(36960, "en") == "¥36,960"


def test_a_station_the_table_does_not_know_is_printed_as_sent_and_marked_japanese():
    (line,) = lines("en", commuter_pass(from_station="どこか町", to_station="西明石"))
    assert line.description.startswith("Commuter pass どこか町⇔Nishi-Akashi ")
    assert str(line.description_parts[1]) == '<span lang="ja">どこか町</span>⇔Nishi-Akashi'
    (line,) = lines("ja", commuter_pass(from_station="どこか町", to_station="西明石"))
    assert str(line.description_parts[1]) == "どこか町⇔西明石"  # a Japanese document needs no mark


def test_a_name_is_escaped_not_trusted():
    (line,) = lines("en", commuter_pass(from_station="<b>駅</b>"))
    assert "<b>" not in str(line.description_parts[1]) and "&lt;b&gt;" in str(line.description_parts[1])


@pytest.mark.parametrize(
    ("brand", "last4", "cell"),
    [("VISA", "4242", "VISA ••••4242"), ("MASTERCARD", "5454", "Mastercard ••••5454"),
     ("AMEX", "0005", "American\u00a0Express ••••0005"), ("JCB", "0106", "JCB ••••0106")],
)
def test_the_payment_cell_breaks_only_between_brand_and_number(brand, last4, cell):
    (line,) = lines("ja", charge(payment_brand=brand, payment_last4=last4))
    assert line.payment == cell


@pytest.mark.parametrize(
    ("language", "expected"),
    [("ja", ("利用明細書（領収書）", "利用明細書_R-202611-000001_再発行.pdf", "10%対象", "不課税")),
     ("en", ("Usage statement (receipt)", "ICOCA-receipt_R-202611-000001_reissue.pdf", "10% rate",
             "Not subject to consumption tax"))],
)
def test_titles_file_names_and_tax_summary_labels(language, expected):
    with translation.override(language):
        got = (wording.title("receipt"), wording.file_name("receipt", "R-202611-000001", reprint=True),
               wording.tax_group_label(10), wording.tax_group_label(None))
    assert got == expected
