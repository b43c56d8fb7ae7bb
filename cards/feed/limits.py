"""The feed's limits on times and dates (FEED.md, common rules), for one import. Django-free.

Every reader of a line applies them: ``parsing.parse_line`` (which says why a line breaks
one), the fast path (``fastpath.usage_line``) and the native reader (``usage_span.c``, given
``earliest_text``/``latest_text``), which only accept a line inside them and leave any other
to ``parse_line``.

``FeedLimits(moment)``: ``moment`` is the moment of the import (``FeedImport.started_at``),
one for the whole file, so a file's lines are judged alike however long it takes.

- An event time (``issued_at``, ``paid_at``, ``at``) is accepted from
  ``2000-01-01T00:00:00+09:00`` (the start of 2000-01-01, a Japan date) up to and including
  ``moment + 24 hours``: exactly 24 hours ahead is accepted, a microsecond more is not.
- A pass's ``valid_from`` is accepted from 2000-01-01 up to and including the Japan date of
  ``moment`` plus 31 days (imported on 2026-12-07 JST: up to 2027-01-07).
- Its ``valid_until`` is on or after ``valid_from`` and no later than the last day of a
  ``months``-month pass from ``valid_from`` (the JR rule of ``cards.refunds.pass_valid_until``:
  2026-10-15 for 1 month: up to 2026-11-14; 2026-10-01 for 3 months: up to 2026-12-31;
  2026-01-31 for 1 month: up to 2026-02-28, as February has no 31st).

Each ``*_problem`` method returns ``None`` for a value inside the limits, else the reason
(without the field's name, which the caller puts first), naming the limit broken.

>>> from datetime import UTC, datetime, date
>>> limits = FeedLimits(datetime(2026, 12, 6, 16, 0, tzinfo=UTC))
>>> limits.latest_text, limits.earliest_text, limits.latest_valid_from
('2026-12-07T16:00:00', '1999-12-31T15:00:00', datetime.date(2027, 1, 7))
>>> limits.valid_until_problem(date(2026, 10, 15), date(2026, 11, 14), 1) is None
True
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property

from cards.refunds import pass_valid_until
from cards.window import JAPAN, japan_today

#: The earliest date of anything in the feed (a Japan date), and its first instant.
EARLIEST_DATE = date(2000, 1, 1)
EARLIEST_TIME = datetime(2000, 1, 1, tzinfo=JAPAN).astimezone(UTC)
#: How far after the moment of the import an event time may lie.
MAX_AHEAD = timedelta(hours=24)
#: How many days after the import's Japan date a pass may start.
PASS_START_MAX_DAYS = 31


def _shown(moment: datetime) -> str:
    return moment.astimezone(JAPAN).isoformat()


@dataclass(frozen=True)
class FeedLimits:
    """The limits of one import, whose moment is ``moment`` (an aware datetime)."""

    moment: datetime

    def __post_init__(self) -> None:
        if self.moment.tzinfo is None or self.moment.utcoffset() is None:
            raise ValueError("FeedLimits needs an aware moment")

    @classmethod
    def now(cls) -> FeedLimits:
        return cls(datetime.now(UTC))

    @property
    def latest_time(self) -> datetime:
        """The last event time accepted (included)."""
        return self.moment + MAX_AHEAD

    @property
    def latest_valid_from(self) -> date:
        """The last start date of a pass accepted (included)."""
        return japan_today(self.moment) + timedelta(days=PASS_START_MAX_DAYS)

    # -- for the fast readers: UTC times as text to the second, compared as text -------------

    @cached_property
    def earliest_text(self) -> str:
        """``YYYY-MM-DDTHH:MM:SS`` in UTC: a time in whole seconds whose UTC text (the first 19
        characters of ``content.utc_text``) sorts before it is too early."""
        return EARLIEST_TIME.strftime("%Y-%m-%dT%H:%M:%S")

    @cached_property
    def latest_text(self) -> str:
        """The latest time, in UTC, cut to the second: a time in whole seconds is inside the
        limit exactly when its UTC text does not sort after this."""
        return self.latest_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")

    def text_inside(self, utc: str) -> bool:
        """For a time in whole seconds as ``content.utc_text`` writes it."""
        return self.earliest_text <= utc[:19] <= self.latest_text

    # -- the reasons -------------------------------------------------------------------------

    def time_problem(self, moment: datetime) -> str | None:
        if moment < EARLIEST_TIME:
            return f"is before 2000-01-01 (the limit: an event time lies on or after {_shown(EARLIEST_TIME)})"
        if moment > self.latest_time:
            return (
                "is more than 24 hours after the moment of the import "
                f"{_shown(self.moment)} (the limit: at most {_shown(self.latest_time)})"
            )
        return None

    def valid_from_problem(self, day: date) -> str | None:
        if day < EARLIEST_DATE:
            return "is before 2000-01-01 (the limit: a pass starts on or after 2000-01-01)"
        latest = self.latest_valid_from
        if day > latest:
            return (
                f"is more than {PASS_START_MAX_DAYS} days after the import's Japan date "
                f"{japan_today(self.moment).isoformat()} (the limit: a pass starts at most "
                f"{PASS_START_MAX_DAYS} days ahead, by {latest.isoformat()})"
            )
        return None

    @staticmethod
    def valid_until_problem(valid_from: date, valid_until: date, months: int) -> str | None:
        """For a ``valid_from`` inside the limits (the last day is then always a date)."""
        if valid_until < valid_from:
            return f"is before pass.valid_from {valid_from.isoformat()!r}"
        last = pass_valid_until(valid_from, months)
        if valid_until > last:
            plural = "month" if months == 1 else "months"
            return (
                f"is after the last day of a {months}-month pass from {valid_from.isoformat()} (the limit: "
                f"valid_until is before the same day {months} {plural} later, so at most {last.isoformat()})"
            )
        return None
