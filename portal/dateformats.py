"""One date format applied to many dates, cheaply: what ``date_format`` prints, without its
per-call work (the format looked up in the active language, a ``DateFormat`` made and the
format parsed again for every date).

A list of a hundred payments, each with its date and time, spent more time in
``date_format`` than in anything else it did. ``DateFormatter("SHORT_DATETIME_FORMAT")``
looks the format up once, in the language active when it is made, and turns it into a
``str.format`` pattern when it uses only the common parts (``Y m n d j H i M``, as every
format of portal/formats does); any other format is passed to Django's ``dateformat``
as before::

    >>> DateFormatter("Y/n/j H:i")(datetime(2026, 11, 3, 8, 5))
    '2026/11/3 08:05'
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from django.utils import dateformat
from django.utils.formats import get_format

#: Django's format characters (django.utils.dateformat.re_formatchars).
FORMAT_CHARS = frozenset("aAbcdDeEfFgGhHiIjlLmMnNoOPrsStTUuwWyYzZ")
#: The ones done here, as ``str.format`` fields of ``(value, month abbreviation)``.
FIELDS = {
    "Y": "{0.year:04d}", "m": "{0.month:02d}", "n": "{0.month}", "d": "{0.day:02d}", "j": "{0.day}",
    "H": "{0.hour:02d}", "i": "{0.minute:02d}", "M": "{1}",
}


@lru_cache(maxsize=64)
def compiled(format_string: str) -> str | None:
    """``format_string`` as a ``str.format`` pattern, or ``None`` when it needs Django's formatter."""
    pattern = []
    for char in format_string:
        if char in FIELDS:
            pattern.append(FIELDS[char])
        elif char in FORMAT_CHARS or char == "\\":
            return None
        else:
            pattern.append(char.replace("{", "{{").replace("}", "}}"))
    return "".join(pattern)


class DateFormatter:
    """Formats dates (or datetimes, as they are: convert them to Japan time first) with
    ``format_name`` (a format's name such as ``YEAR_MONTH_FORMAT``, or a format) as
    ``date_format`` does in the active language (the format is looked up when the
    formatter is made: make one per page, or one per language with
    ``portal.per_language.once_per_language``, never one for the whole process)."""

    def __init__(self, format_name: str):
        self.format = get_format(format_name)
        self.pattern = compiled(self.format)
        self.months: dict[int, str] = {}

    def month(self, number: int) -> str:
        """The month's abbreviation (``M``) in the formatter's language: ``Nov``, ``11月``."""
        if number not in self.months:
            self.months[number] = dateformat.format(date(2000, number, 1), "M")
        return self.months[number]

    def __call__(self, value: date) -> str:
        if self.pattern is None:
            return dateformat.format(value, self.format)
        return self.pattern.format(value, self.month(value.month) if "{1}" in self.pattern else "")
