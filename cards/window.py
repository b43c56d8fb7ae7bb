"""The document window (DOMAIN.md, "Document window").

Receipts, refund statements and the usage history reach back one year, to the first day
of the month one year ago, counted in Japan time: on 2026-11-25 the earliest date is
2025-11-01. A request reaching further back is refused with a clear message, never
silently shortened.

Pure Python but for the translation of its one message, so it is tested without a database.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils.translation import gettext

from accounts.exceptions import PortalError

JAPAN = ZoneInfo("Asia/Tokyo")


class OutsideWindow(PortalError):
    """A requested period starts before the earliest date of the document window.

    Its message names the window's first day in the language active when it is
    shown (``str(error)``), whichever language was active when it was raised."""

    def __init__(self, earliest: date) -> None:
        self.earliest = earliest
        super().__init__(earliest)

    def __str__(self) -> str:
        earliest = self.earliest
        shown = gettext("%(year)s年%(month)s月%(day)s日") % {
            "year": earliest.year, "month": earliest.month, "day": earliest.day,
        }
        return gettext("%(date)sより前の期間は指定できません（指定できるのは%(date)s以降です）。") % {"date": shown}


def japan_today(now: datetime | None = None) -> date:
    """The Japan (Asia/Tokyo) date of ``now``; ``now`` defaults to the current instant.

    Works for any aware datetime, e.g. the Japan date of a feed record's ``at``.
    A naive datetime is refused: its instant is unknown.
    """
    if now is None:
        now = datetime.now(UTC)
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("japan_today() needs an aware datetime, got a naive one")
    return now.astimezone(JAPAN).date()


def earliest_date(today: date) -> date:
    """The first day of the month one year before ``today`` (a Japan date).

    2026-11-25 -> 2025-11-01; 2024-02-29 -> 2023-02-01; 2026-01-01 -> 2025-01-01.
    """
    return date(today.year - 1, today.month, 1)


def check_in_window(start: date, today: date) -> None:
    """Raise :class:`OutsideWindow` when ``start`` lies before the window's earliest date."""
    earliest = earliest_date(today)
    if start < earliest:
        raise OutsideWindow(earliest)


def japan_month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """The UTC instants where a Japan-time month starts (inclusive) and ends (exclusive).

    For November 2026: 2026-10-31T15:00Z up to 2026-11-30T15:00Z; filter with
    ``start <= at < end``.
    """
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1..12, got {month}")
    next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    start = datetime(year, month, 1, tzinfo=JAPAN).astimezone(UTC)
    end = datetime(next_year, next_month, 1, tzinfo=JAPAN).astimezone(UTC)
    return start, end


def japan_midnight(day: date) -> datetime:
    """The instant a Japan date starts: 2026-11-01 -> 2026-11-01T00:00+09:00."""
    return datetime(day.year, day.month, day.day, tzinfo=JAPAN)


def japan_days_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The instants from the start of ``start`` (Japan time) up to, not including,
    the day after ``end``; filter with ``first <= at < after``."""
    return japan_midnight(start), japan_midnight(end + timedelta(days=1))


def month_last_day(year: int, month: int) -> date:
    """2026-02 -> 2026-02-28; 2024-02 -> 2024-02-29; 2026-11 -> 2026-11-30."""
    return date(year, month, calendar.monthrange(year, month)[1])


def last_month(today: date) -> tuple[int, int]:
    """The month before ``today``'s: 2026-11-25 -> (2026, 10); 2026-01-05 -> (2025, 12)."""
    return (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)


def window_months(today: date) -> list[tuple[int, int]]:
    """The (year, month) of each month of the window, newest first:
    2026-11-25 -> (2026, 11), (2026, 10), … (2025, 11): thirteen months."""
    first = earliest_date(today)
    months = []
    year, month = today.year, today.month
    while (year, month) >= (first.year, first.month):
        months.append((year, month))
        year, month = last_month(date(year, month, 1))
    return months
