"""portal/dateformats.py prints what django.utils.formats.date_format prints."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.utils import translation
from django.utils.formats import date_format

from portal.dateformats import DateFormatter, compiled

NAMES = ["DATE_FORMAT", "SHORT_DATE_FORMAT", "DATETIME_FORMAT", "SHORT_DATETIME_FORMAT", "YEAR_MONTH_FORMAT",
         "MONTH_DAY_FORMAT", "TIME_FORMAT"]


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("name", NAMES)
def test_every_format_of_the_site_as_date_format(language, name):
    with translation.override(language):
        formatter = DateFormatter(name)
        assert formatter.pattern is not None  # the site's own formats all take the quick way
        for month in range(1, 13):
            for day, hour, minute in ((1, 0, 0), (9, 8, 5), (28, 23, 59)):
                value = datetime(2026 if month % 2 else 987, month, day, hour, minute)
                assert formatter(value) == date_format(value, name), (value, name)


def test_any_other_format_is_djangos():
    assert compiled("D j M") is None
    assert compiled(r"Y\Y") is None
    assert compiled("{Y}") == "{{{0.year:04d}}}"
    with translation.override("en"):
        for format_string in ("D j M Y", r"\Y Y", "{j} F", "N jS"):
            value = date(2026, 9, 3)
            assert DateFormatter(format_string)(value) == date_format(value, format_string)
