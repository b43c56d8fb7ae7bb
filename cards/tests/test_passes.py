"""Days left on a commuter pass (cards/passes.py), without a database."""

from datetime import date

import pytest

from cards.passes import EXPIRY_WARNING_DAYS, days_left, expires_soon


@pytest.mark.parametrize(
    ("valid_until", "today", "left", "soon"),
    [
        (date(2026, 12, 31), date(2026, 12, 1), 30, False),
        (date(2026, 12, 31), date(2026, 12, 16), 15, False),
        (date(2026, 12, 31), date(2026, 12, 17), 14, True),  # the first day of the warning
        (date(2026, 12, 31), date(2026, 12, 30), 1, True),
        (date(2026, 12, 31), date(2026, 12, 31), 0, True),  # the last valid day
        (date(2026, 12, 31), date(2027, 1, 1), -1, False),  # expired
        (date(2027, 1, 10), date(2026, 12, 27), 14, True),  # across the year end
        (date(2028, 3, 1), date(2028, 2, 16), 14, True),  # across a leap day
    ],
)
def test_days_left_and_the_warning(valid_until, today, left, soon):
    assert days_left(valid_until, today) == left
    assert expires_soon(valid_until, today) is soon


def test_the_warning_starts_14_days_before():
    assert EXPIRY_WARNING_DAYS == 14
