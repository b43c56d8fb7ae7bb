"""Refund arithmetic (DOMAIN.md "Refunds", FEED.md `refund`): pure functions, no database."""

import dataclasses
from datetime import date, datetime, timedelta

import pytest

from cards.refunds import (
    REASON_EXPIRED,
    REASON_LAST_MONTH,
    REFUND_FEE,
    PassTerms,
    compute_refund,
    months_used,
    pass_month_start,
    pass_refund,
    pass_valid_until,
    refund_total,
    used_fare,
    used_fare_lines,
)
from cards.window import japan_today

# The section of FEED.md's example pass (大阪-三ノ宮, commuter).
FARES = {1: 12970, 3: 36960, 6: 70040}


def three_month_pass(**changes) -> PassTerms:
    """FEED.md's pass P-2026-0000123: 3 months, 2026-10-01..2026-12-31, ¥36,960."""
    terms = {
        "valid_from": date(2026, 10, 1),
        "valid_until": date(2026, 12, 31),
        "months": 3,
        "price": 36960,
        "fares": FARES,
    }
    return PassTerms(**(terms | changes))


def six_month_pass_from_april() -> PassTerms:
    return PassTerms(
        valid_from=date(2026, 4, 1), valid_until=date(2026, 9, 30), months=6, price=FARES[6], fares=FARES
    )


# --- the examples in DOMAIN.md and FEED.md -------------------------------------------------


def test_domain_example_six_month_pass_from_april_refunded_on_august_20():
    breakdown = compute_refund(balance=1000, terms=six_month_pass_from_april(), refund_date=date(2026, 8, 20))

    assert breakdown.months_used == 5
    assert breakdown.fare_deducted == FARES[3] + 2 * FARES[1] == 62900
    assert breakdown.pass_part == FARES[6] - (FARES[3] + 2 * FARES[1]) == 7140
    assert breakdown.total == 7140 + 1000 - 220 == 7920
    assert breakdown.pass_refundable is True
    assert breakdown.pass_reason is None


def test_feed_example_refund_line_recomputed():
    """FEED.md's `refund` line R-2026-0000045 says total 27900; the rules give 14000."""
    at = datetime.fromisoformat("2026-11-02T10:00:00+09:00")
    breakdown = compute_refund(balance=3200, terms=three_month_pass(), refund_date=japan_today(at), fee=220)

    assert breakdown.refund_date == date(2026, 11, 2)
    assert breakdown.months_used == 2  # October, and November has started
    assert breakdown.fare_deducted == 2 * 12970 == 25940
    assert breakdown.pass_part == 36960 - 25940 == 11020
    assert breakdown.total == 11020 + 3200 - 220 == 14000
    # so the feed check rejects the example line as written (expected 14000, got 27900)
    assert breakdown.total != 27900


# --- months used ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("refund_date", "used"),
    [
        (date(2026, 3, 31), 0),  # before the pass starts
        (date(2026, 4, 1), 1),  # the start date: the day of the refund counts as used
        (date(2026, 4, 30), 1),  # last day of the first month
        (date(2026, 5, 1), 2),  # a started month counts as a whole one
        (date(2026, 8, 20), 5),
        (date(2026, 9, 30), 6),  # valid_until
    ],
)
def test_months_used_for_a_pass_from_the_first_of_the_month(refund_date, used):
    assert months_used(date(2026, 4, 1), refund_date) == used


def test_months_used_mid_month_start_changes_on_the_corresponding_day():
    start = date(2026, 3, 15)
    assert months_used(start, date(2026, 4, 14)) == 1
    assert months_used(start, date(2026, 4, 15)) == 2
    assert months_used(start, date(2027, 3, 14)) == 12


def test_months_used_month_end_start_follows_the_jr_validity_rule():
    start = date(2026, 1, 31)  # no Feb 31: month 1 runs to the end of February
    assert months_used(start, date(2026, 2, 28)) == 1
    assert months_used(start, date(2026, 3, 1)) == 2
    assert months_used(start, date(2026, 3, 30)) == 2
    assert months_used(start, date(2026, 3, 31)) == 3
    assert months_used(date(2024, 1, 31), date(2024, 2, 29)) == 1  # leap year


@pytest.mark.parametrize(
    ("valid_from", "months", "valid_until"),
    [
        # JR's published examples of a 1-month pass's last day
        (date(2026, 1, 1), 1, date(2026, 1, 31)),
        (date(2026, 3, 15), 1, date(2026, 4, 14)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 2, 1), 1, date(2026, 2, 28)),
        (date(2024, 2, 1), 1, date(2024, 2, 29)),
        (date(2026, 2, 28), 1, date(2026, 3, 27)),
        (date(2024, 2, 29), 1, date(2024, 3, 28)),
        (date(2026, 1, 28), 1, date(2026, 2, 27)),
        (date(2026, 1, 29), 1, date(2026, 2, 28)),
        (date(2026, 1, 30), 1, date(2026, 2, 28)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2025, 8, 31), 3, date(2025, 11, 30)),
        (date(2025, 8, 31), 6, date(2026, 2, 28)),
        (date(2026, 4, 1), 6, date(2026, 9, 30)),
        (date(2026, 10, 1), 3, date(2026, 12, 31)),
        (date(2026, 11, 15), 3, date(2027, 2, 14)),
    ],
)
def test_pass_valid_until(valid_from, months, valid_until):
    assert pass_valid_until(valid_from, months) == valid_until


def test_months_used_steps_by_one_on_the_day_after_each_month_ends_for_every_start_date():
    valid_from = date(2024, 1, 1)
    while valid_from < date(2026, 1, 1):
        assert months_used(valid_from, valid_from - timedelta(days=1)) == 0
        assert months_used(valid_from, valid_from) == 1
        for k in range(1, 7):
            last_day = pass_valid_until(valid_from, k)
            assert months_used(valid_from, last_day) == k, (valid_from, k)
            assert months_used(valid_from, last_day + timedelta(days=1)) == k + 1, (valid_from, k)
            assert pass_month_start(valid_from, k) == last_day + timedelta(days=1)
        valid_from += timedelta(days=1)


def test_months_used_never_decreases_and_steps_by_at_most_one_a_day():
    for valid_from in (date(2025, 1, 29), date(2025, 1, 31), date(2025, 8, 31), date(2026, 4, 1)):
        previous = 0
        day = valid_from - timedelta(days=3)
        while day < valid_from + timedelta(days=400):
            used = months_used(valid_from, day)
            assert used - previous in (0, 1)
            previous = used
            day += timedelta(days=1)


# --- used fare -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("used", "fare"),
    [
        (0, 0),
        (1, 12970),
        (2, 2 * 12970),
        (3, 36960),
        (4, 36960 + 12970),
        (5, 36960 + 2 * 12970),
        (6, 2 * 36960),
    ],
)
def test_used_fare_three_month_fare_for_each_full_three_one_month_for_the_rest(used, fare):
    assert used_fare(used, FARES) == fare


def test_used_fare_lines_for_the_statement():
    assert used_fare_lines(5, FARES) == ((3, 1, 36960), (1, 2, 12970))
    assert used_fare_lines(6, FARES) == ((3, 2, 36960),)
    assert used_fare_lines(1, FARES) == ((1, 1, 12970),)
    assert used_fare_lines(0, FARES) == ()


def test_used_fare_refuses_negative_months():
    with pytest.raises(ValueError, match="months_used"):
        used_fare(-1, FARES)


# --- the pass part -------------------------------------------------------------------------


def test_pass_part_before_the_pass_starts_is_the_price():
    part = pass_refund(three_month_pass(), date(2026, 9, 30))
    assert (part.months_used, part.fare_deducted, part.amount) == (0, 0, 36960)
    assert part.refundable is True
    assert part.reason is None


def test_pass_part_on_the_start_date_counts_one_month_used():
    part = pass_refund(three_month_pass(), date(2026, 10, 1))
    assert (part.months_used, part.fare_deducted, part.amount) == (1, 12970, 36960 - 12970)
    assert part.refundable is True


def test_pass_part_on_the_last_day_of_a_month_and_the_day_after():
    on_last_day = pass_refund(three_month_pass(), date(2026, 10, 31))
    day_after = pass_refund(three_month_pass(), date(2026, 11, 1))
    assert (on_last_day.months_used, on_last_day.amount) == (1, 23990)
    assert (day_after.months_used, day_after.amount) == (2, 11020)


def test_pass_part_with_exactly_one_whole_month_left_is_refundable():
    part = pass_refund(three_month_pass(), date(2026, 11, 30))  # December still whole
    assert part.refundable is True
    assert (part.months_used, part.amount) == (2, 11020)


@pytest.mark.parametrize("refund_date", [date(2026, 12, 1), date(2026, 12, 15), date(2026, 12, 31)])
def test_pass_part_with_less_than_a_month_left_is_not_refundable(refund_date):
    part = pass_refund(three_month_pass(), refund_date)
    assert part.refundable is False
    assert (part.months_used, part.fare_deducted, part.amount) == (3, 0, 0)
    assert part.reason == REASON_LAST_MONTH


def test_pass_part_after_the_pass_ended_is_zero():
    part = pass_refund(three_month_pass(), date(2027, 1, 1))
    assert part.refundable is False
    assert (part.months_used, part.fare_deducted, part.amount) == (3, 0, 0)
    assert part.reason == REASON_EXPIRED


@pytest.mark.parametrize("refund_date", [date(2026, 10, 1), date(2026, 10, 20), date(2026, 10, 31)])
def test_one_month_pass_after_it_starts_has_no_whole_month_left(refund_date):
    terms = three_month_pass(valid_until=date(2026, 10, 31), months=1, price=12970)
    part = pass_refund(terms, refund_date)
    assert part.refundable is False
    assert part.amount == 0
    assert part.reason == REASON_LAST_MONTH


def test_one_month_pass_before_it_starts_refunds_the_price():
    terms = three_month_pass(valid_until=date(2026, 10, 31), months=1, price=12970)
    assert pass_refund(terms, date(2026, 9, 25)).amount == 12970


def test_pass_part_never_below_zero_when_the_used_fare_is_above_the_price():
    # a discounted price: 5 months at pass fares (62900) cost more than the pass (60000)
    terms = PassTerms(
        valid_from=date(2026, 4, 1), valid_until=date(2026, 9, 30), months=6, price=60000, fares=FARES
    )
    part = pass_refund(terms, date(2026, 8, 20))
    assert part.fare_deducted == 62900
    assert part.amount == 0
    assert part.refundable is True
    assert compute_refund(balance=500, terms=terms, refund_date=date(2026, 8, 20)).total == 280


def test_month_end_start_pass_is_refundable_until_its_last_whole_month():
    terms = PassTerms(
        valid_from=date(2026, 1, 31), valid_until=date(2026, 4, 30), months=3, price=36960, fares=FARES
    )
    assert pass_refund(terms, date(2026, 2, 28)).months_used == 1
    assert pass_refund(terms, date(2026, 3, 30)).amount == 11020  # month 2: Mar 1..Mar 30
    assert pass_refund(terms, date(2026, 3, 31)).refundable is False  # month 3: Mar 31..Apr 30


# --- the total -----------------------------------------------------------------------------


def test_fee_is_220_yen():
    assert REFUND_FEE == 220


@pytest.mark.parametrize(
    ("balance", "pass_part", "total"),
    [(0, 0, 0), (100, 0, 0), (219, 0, 0), (220, 0, 0), (221, 0, 1), (5000, 0, 4780), (0, 11020, 10800)],
)
def test_refund_total_after_the_fee_floored_at_zero(balance, pass_part, total):
    assert refund_total(balance=balance, pass_part=pass_part) == total


def test_refund_without_a_pass_and_a_balance_below_the_fee_pays_nothing():
    breakdown = compute_refund(balance=150, terms=None, refund_date=date(2026, 11, 2))
    assert (breakdown.balance, breakdown.fee, breakdown.pass_part, breakdown.total) == (150, 220, 0, 0)
    assert breakdown.price is None
    assert breakdown.months_used is None
    assert breakdown.fare_deducted is None


def test_compute_refund_shows_every_input_and_step():
    breakdown = compute_refund(balance=3200, terms=three_month_pass(), refund_date=date(2026, 11, 2))
    assert dataclasses.asdict(breakdown) == {
        "refund_date": date(2026, 11, 2),
        "balance": 3200,
        "fee": 220,
        "pass_part": 11020,
        "total": 14000,
        "price": 36960,
        "valid_from": date(2026, 10, 1),
        "valid_until": date(2026, 12, 31),
        "months": 3,
        "months_used": 2,
        "fare_deducted": 25940,
        "pass_refundable": True,
        "pass_reason": None,
    }


def test_compute_refund_in_the_last_month_pays_only_the_balance_and_says_why():
    breakdown = compute_refund(balance=3200, terms=three_month_pass(), refund_date=date(2026, 12, 10))
    assert (breakdown.pass_part, breakdown.total) == (0, 2980)
    assert breakdown.pass_refundable is False
    assert breakdown.pass_reason == REASON_LAST_MONTH


def test_compute_refund_with_another_fee():
    breakdown = compute_refund(balance=100, terms=None, refund_date=date(2026, 11, 2), fee=0)
    assert breakdown.total == 100


# --- refused inputs ------------------------------------------------------------------------


def test_negative_balance_is_refused():
    with pytest.raises(ValueError, match="balance"):
        compute_refund(balance=-1, terms=None, refund_date=date(2026, 11, 2))


def test_negative_fee_is_refused():
    with pytest.raises(ValueError, match="fee"):
        refund_total(balance=0, pass_part=0, fee=-220)


@pytest.mark.parametrize("value", [1000.0, "1000", True])
def test_money_must_be_int_yen(value):
    with pytest.raises(ValueError, match="int"):
        refund_total(balance=value, pass_part=0)


@pytest.mark.parametrize("price", [0, -36960])
def test_non_positive_price_is_refused(price):
    with pytest.raises(ValueError, match="price"):
        three_month_pass(price=price)


def test_float_price_is_refused():
    with pytest.raises(ValueError, match="price"):
        three_month_pass(price=36960.0)


@pytest.mark.parametrize("months", [0, 2, 4, 12, 3.0, "3"])
def test_months_other_than_1_3_6_are_refused(months):
    with pytest.raises(ValueError, match="months"):
        three_month_pass(months=months)


def test_missing_fares_are_refused():
    with pytest.raises(ValueError, match=r"missing \[6\]"):
        three_month_pass(fares={1: 12970, 3: 36960})


def test_fares_with_the_feeds_string_keys_are_refused():
    with pytest.raises(ValueError, match="missing"):
        three_month_pass(fares={"1": 12970, "3": 36960, "6": 70040})


def test_non_positive_fare_is_refused():
    with pytest.raises(ValueError, match=r"fares\[1\]"):
        three_month_pass(fares={1: 0, 3: 36960, 6: 70040})


def test_valid_until_before_valid_from_is_refused():
    with pytest.raises(ValueError, match="valid_until"):
        three_month_pass(valid_until=date(2026, 9, 30))


def test_pass_terms_cannot_be_changed():
    with pytest.raises(dataclasses.FrozenInstanceError):
        three_month_pass().price = 1
