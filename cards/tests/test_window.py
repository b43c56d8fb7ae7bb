"""The document window (DOMAIN.md "Document window"): pure functions, no database."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import time_machine

from accounts.exceptions import PortalError
from cards.window import (
    OutsideWindow,
    check_in_window,
    earliest_date,
    japan_month_bounds,
    japan_today,
)

JST = timezone(timedelta(hours=9))


@pytest.mark.parametrize(
    ("today", "earliest"),
    [
        (date(2026, 11, 25), date(2025, 11, 1)),  # DOMAIN.md's example
        (date(2024, 2, 29), date(2023, 2, 1)),  # leap day: no Feb 29 in 2023, but day 1 always exists
        (date(2026, 1, 1), date(2025, 1, 1)),  # year boundary
        (date(2026, 12, 31), date(2025, 12, 1)),
        (date(2026, 11, 1), date(2025, 11, 1)),
        (date(2026, 10, 31), date(2025, 10, 1)),
    ],
)
def test_earliest_date(today, earliest):
    assert earliest_date(today) == earliest


def test_earliest_date_is_first_of_month_about_a_year_back_for_every_day():
    day = date(2024, 1, 1)
    while day < date(2027, 1, 1):
        earliest = earliest_date(day)
        assert earliest.day == 1
        assert (earliest.year, earliest.month) == (day.year - 1, day.month)
        assert 365 <= (day - earliest).days <= 396
        day += timedelta(days=1)


def test_check_in_window_accepts_the_earliest_date_and_later():
    today = date(2026, 11, 25)
    check_in_window(date(2025, 11, 1), today)
    check_in_window(date(2026, 3, 15), today)
    check_in_window(today, today)


def test_check_in_window_refuses_the_day_before_with_a_message_naming_the_earliest_date():
    with pytest.raises(OutsideWindow) as caught:
        check_in_window(date(2025, 10, 31), date(2026, 11, 25))
    assert caught.value.earliest == date(2025, 11, 1)
    assert str(caught.value) == (
        "2025年11月1日より前の期間は指定できません（指定できるのは2025年11月1日以降です）。"
    )


def test_outside_window_is_a_domain_error_views_can_show():
    with pytest.raises(PortalError):
        check_in_window(date(2020, 1, 1), date(2026, 11, 25))


def test_japan_today_uses_the_japan_date_not_the_utc_date():
    # 2026-11-24T15:00Z is already 2026-11-25 00:00 in Tokyo.
    assert japan_today(datetime(2026, 11, 24, 15, 0, tzinfo=UTC)) == date(2026, 11, 25)
    assert japan_today(datetime(2026, 11, 24, 14, 59, 59, tzinfo=UTC)) == date(2026, 11, 24)
    assert japan_today(datetime(2026, 11, 2, 10, 0, tzinfo=JST)) == date(2026, 11, 2)


def test_japan_today_defaults_to_now():
    with time_machine.travel(datetime(2025, 12, 31, 15, 30, tzinfo=UTC), tick=False):
        assert japan_today() == date(2026, 1, 1)
        # and so the window moves at Japan midnight, not UTC midnight
        assert earliest_date(japan_today()) == date(2025, 1, 1)


def test_japan_today_refuses_a_naive_datetime():
    with pytest.raises(ValueError, match="aware"):
        japan_today(datetime(2026, 11, 25, 9, 0))


def test_japan_month_bounds():
    start, end = japan_month_bounds(2026, 11)
    assert start == datetime(2026, 10, 31, 15, 0, tzinfo=UTC)
    assert end == datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    assert start.utcoffset() == timedelta(0)


def test_japan_month_bounds_december_rolls_into_next_year():
    assert japan_month_bounds(2025, 12) == (
        datetime(2025, 11, 30, 15, 0, tzinfo=UTC),
        datetime(2025, 12, 31, 15, 0, tzinfo=UTC),
    )


def test_japan_month_bounds_contain_exactly_the_japan_month():
    start, end = japan_month_bounds(2024, 2)
    assert japan_today(start) == date(2024, 2, 1)
    assert japan_today(end - timedelta(microseconds=1)) == date(2024, 2, 29)
    assert japan_today(end) == date(2024, 3, 1)


@pytest.mark.parametrize("month", [0, 13])
def test_japan_month_bounds_refuses_a_month_out_of_range(month):
    with pytest.raises(ValueError, match="month"):
        japan_month_bounds(2026, month)


def test_japan_midnight_and_the_bounds_of_days():
    from cards.window import JAPAN, japan_days_bounds, japan_midnight

    assert japan_midnight(date(2026, 11, 1)) == datetime(2026, 10, 31, 15, 0, tzinfo=UTC)
    assert japan_midnight(date(2026, 11, 1)).tzinfo is JAPAN
    first, after = japan_days_bounds(date(2026, 10, 1), date(2026, 10, 31))
    assert (first, after) == (datetime(2026, 9, 30, 15, tzinfo=UTC), datetime(2026, 10, 31, 15, tzinfo=UTC))


def test_month_last_day_and_last_month():
    from cards.window import last_month, month_last_day

    assert month_last_day(2026, 2) == date(2026, 2, 28)
    assert month_last_day(2024, 2) == date(2024, 2, 29)
    assert month_last_day(2026, 12) == date(2026, 12, 31)
    assert last_month(date(2026, 11, 25)) == (2026, 10)
    assert last_month(date(2026, 1, 5)) == (2025, 12)


def test_the_windows_months_are_thirteen_newest_first():
    from cards.window import window_months

    months = window_months(date(2026, 11, 25))
    assert len(months) == 13 and months[0] == (2026, 11) and months[-1] == (2025, 11)
    assert window_months(date(2026, 1, 1))[:2] == [(2026, 1), (2025, 12)]
