"""The 払いもどし計算書's figures (DOMAIN.md "Refunds"): pure functions, no database."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from billing.documents.refund_statements import FareLine, InconsistentRefund, RefundPass, refund_statement

JST = timezone(timedelta(hours=9))
FARES = {1: 12970, 3: 36960, 6: 70040}


def six_month_pass() -> RefundPass:
    return RefundPass(
        from_station="大阪", to_station="三ノ宮", via="JR神戸線", pass_kind="commuter", months=6,
        valid_from=date(2026, 4, 1), valid_until=date(2026, 9, 30), price=70040, fares=FARES,
    )


def statement(**changes):
    values = {
        "refunded_at": datetime(2026, 8, 20, 10, 0, tzinfo=JST),
        "card_nickname": "仕事用",
        "card_number": "JW•••••••••••0001",
        "balance": 1000,
        "fee": 220,
        "total": 7920,
        "destination_method": "card",
        "destination_brand": "VISA",
        "destination_last4": "4242",
        "commuter_pass": six_month_pass(),
        "months_used": 5,
        "fare_deducted": 62900,
        "pass_part": 7140,
    }
    return refund_statement(**(values | changes))


def test_domain_example_every_step():
    content = statement()
    assert content.refund_date == date(2026, 8, 20)
    assert content.months_used == 5
    # 5 months used = one 3-month fare + two 1-month fares
    assert content.fare_lines == (FareLine(3, 1, 36960), FareLine(1, 2, 12970))
    assert [line.amount for line in content.fare_lines] == [36960, 25940]
    assert content.fare_deducted == 62900 == sum(line.amount for line in content.fare_lines)
    assert content.pass_part == 70040 - 62900 == 7140
    assert content.before_fee == 8140
    assert content.total == 8140 - 220 == 7920
    assert content.destination_label == "VISA ••••4242"


def test_stored_figures_that_do_not_add_up_are_refused():
    with pytest.raises(InconsistentRefund, match="total 27900"):
        statement(total=27900)
    with pytest.raises(InconsistentRefund, match="months_used 4"):
        statement(months_used=4)


def test_balance_only_refund():
    content = statement(commuter_pass=None, months_used=0, fare_deducted=0, pass_part=0, balance=3200, total=2980,
                        destination_method="bank", destination_brand="", destination_last4="")
    assert content.pass_part == 0
    assert content.total == 2980
    assert content.fare_lines == ()
    assert content.destination_label == ""


def test_balance_below_the_fee_gives_nothing():
    content = statement(commuter_pass=None, months_used=0, fare_deducted=0, pass_part=0, balance=150, total=0)
    assert content.total == 0


def test_last_month_of_the_pass_refunds_nothing_for_it_and_says_why():
    content = statement(refunded_at=datetime(2026, 9, 5, 9, 0, tzinfo=JST), months_used=6, fare_deducted=0,
                        pass_part=0, total=780)
    assert content.pass_refundable is False
    assert content.pass_reason_code == "last_month"
    assert content.fare_lines == ()


def test_snapshot_round_trip():
    content = statement()
    assert type(content).from_json(content.to_json()) == content
