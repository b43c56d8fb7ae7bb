"""Model fields that keep any stored value displayable.

A time is shown in Japan time (UTC+9), and Python's datetimes end at 9999-12-31T23:59:59.999999:
a stored instant after ``LAST_SHOWN`` (9999-12-31T14:59:59.999999Z, the last one with a Japan
date) makes ``localtime``, the ``timezone`` and ``date`` template filters and every
``astimezone(JAPAN)`` raise OverflowError, and the page answer 500. Such a value is no real
event (FEED.md's limits reject one now; ``manage.py feed_out_of_limits`` lists those stored
before), so ``ShownDateTimeField`` reads it as ``LAST_SHOWN``. Nothing else changes: queries
compare the stored value, and the column and migrations are those of a ``DateTimeField``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import models

#: The last instant whose Japan time Python can hold.
LAST_SHOWN = datetime.max.replace(tzinfo=UTC) - timedelta(hours=9)


def shown(value: datetime | None) -> datetime | None:
    """``value``, or ``LAST_SHOWN`` when it lies after it."""
    if value is not None and value.tzinfo is not None and value > LAST_SHOWN:
        return LAST_SHOWN
    return value


def read_datetime(value: datetime | str | None) -> datetime | None:
    """A time as a written-out query reads it, past the field's ``from_db_value``: aware in
    UTC (SQLite answers in text or naive, in UTC; PostgreSQL aware), and :func:`shown`."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return shown(value)


class ShownDateTimeField(models.DateTimeField):
    """A ``DateTimeField`` whose values read from the database can always be shown in Japan time."""

    def from_db_value(self, value, expression, connection):
        return shown(value)

    def deconstruct(self):
        # The same column as a DateTimeField: no migration, nothing for other branches to merge.
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DateTimeField", args, kwargs
