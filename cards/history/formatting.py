"""How the history shows points (``+128 P``) and times; money is portal/money.py's."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import dateformat
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.formats import get_format
from django.utils.translation import gettext

from portal.money import MINUS
from portal.per_language import once_per_language


def signed_points(points: int) -> str:
    """``+128 P``, ``−500 P``, ``0 P``."""
    sign = MINUS if points < 0 else "+" if points > 0 else ""
    return gettext("%(sign)s%(points)s P") % {"sign": sign, "points": f"{abs(points):,}"}


def _when_words() -> tuple[str, str, list[str]]:
    """The line's time pattern, the month-and-day format and the weekdays' abbreviations."""
    return (
        gettext("%(month_day)s(%(weekday)s) %(time)s"),
        get_format("MONTH_DAY_FORMAT"),
        [str(WEEKDAYS_ABBR[day]) for day in range(7)],
    )


when_words = once_per_language(_when_words)


class WhenFormat:
    """``11月20日(金) 08:12``, ``Fri 20 Nov 08:12``: a line's Japan time, formatted with
    what the current language says once per page rather than once per line, and each
    day's date once (a page's fifty lines fall on a few days)."""

    def __init__(self) -> None:
        self.pattern, self.month_day, self.weekdays = when_words()
        self._days: dict[date, tuple[str, str]] = {}

    def __call__(self, local: datetime) -> str:
        day = local.date()
        month_day, weekday = self._days.get(day) or self._days.setdefault(
            day, (dateformat.format(local, self.month_day), self.weekdays[local.weekday()])
        )
        return self.pattern % {"month_day": month_day, "weekday": weekday, "time": f"{local.hour:02d}:{local.minute:02d}"}
