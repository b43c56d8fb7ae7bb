"""How the history shows points (``+128 P``) and times; money is portal/money.py's."""

from __future__ import annotations

from datetime import datetime

from django.utils import dateformat
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.formats import get_format
from django.utils.translation import gettext

from portal.money import MINUS


def signed_points(points: int) -> str:
    """``+128 P``, ``−500 P``, ``0 P``."""
    sign = MINUS if points < 0 else "+" if points > 0 else ""
    return gettext("%(sign)s%(points)s P") % {"sign": sign, "points": f"{abs(points):,}"}


class WhenFormat:
    """``11月20日(金) 08:12``, ``Fri 20 Nov 08:12``: a line's Japan time, formatted with
    what the current language says once per page rather than once per line."""

    def __init__(self) -> None:
        self.pattern = gettext("%(month_day)s(%(weekday)s) %(time)s")
        self.month_day = get_format("MONTH_DAY_FORMAT")
        self.weekdays = [str(WEEKDAYS_ABBR[day]) for day in range(7)]

    def __call__(self, local: datetime) -> str:
        return self.pattern % {
            "month_day": dateformat.format(local, self.month_day),
            "weekday": self.weekdays[local.weekday()],
            "time": f"{local:%H:%M}",
        }
