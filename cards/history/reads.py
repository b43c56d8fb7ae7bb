# ruff: noqa: S608 (the SQL below is built from our own table and column names; every value is a parameter)
"""The two statements a history page costs, in SQL that PostgreSQL and
SQLite both run.

**Lines** (:func:`read_lines`): the next N lines after a keyset position,
newest first, from every source at once::

    SELECT * FROM (
        SELECT * FROM (usage of card 1 … ORDER BY occurred_at DESC, id DESC LIMIT n) AS u0
        UNION ALL SELECT * FROM (usage of card 2 … LIMIT n) AS u1
        UNION ALL SELECT * FROM (pass purchases … LIMIT n) AS p
        UNION ALL SELECT * FROM (refunds … LIMIT n) AS r
    ) AS h ORDER BY occurred_at DESC, source DESC, id DESC LIMIT n

One index-ordered scan per card (``usage_card_time``), each stopping after n
rows: PostgreSQL never gathers a member's year to sort it, and with the
window's bounds it skips the months outside and reads the monthly partitions
newest first. The keyset condition ``(occurred_at, source, id) < position``
is written per source with a plain ``occurred_at <=`` bound, so the scan
starts at the position however deep it is.

**Totals** (:func:`read_month_totals`): per Japan month and source, one
aggregate over that month's constant bounds (one partition, no per-row time
zone arithmetic), all in one statement.

Written by hand rather than with the ORM: on the benchmark's 10,000,000 rows
(bench/history.py) Django took about 3 ms and 4 ms to compile these unions,
PostgreSQL about 0.5 ms and 2 ms to run them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime

from django.db import connections, router
from django.utils.dateparse import parse_date, parse_datetime

from cards.history.lines import USAGE_KINDS, HistoryQuery, Position, Row, Source
from cards.models import CommuterPass, Refund, UsageRecord
from cards.window import japan_month_bounds

USAGE = UsageRecord._meta.db_table
PASSES = CommuterPass._meta.db_table
REFUNDS = Refund._meta.db_table

# The row every source is made to fit (lines.Row), column by column.
_USAGE_COLUMNS = (
    "{source} AS source, id, card_id, occurred_at, kind, amount, balance, from_station, to_station, operator, "
    "merchant, place, note, payment_method, payment_brand, payment_last4, CAST(NULL AS varchar(16)) AS pass_kind, "
    "CAST(NULL AS integer) AS months, CAST(NULL AS date) AS valid_from, CAST(NULL AS date) AS valid_until"
)
_COMMUTER_COLUMNS = (
    "{source} AS source, id, card_id, paid_at AS occurred_at, 'pass' AS kind, 0 - price AS amount, "
    "CAST(NULL AS integer) AS balance, from_station, to_station, '' AS operator, '' AS merchant, '' AS place, "
    "'' AS note, payment_method, payment_brand, payment_last4, kind AS pass_kind, months, valid_from, valid_until"
)
_REFUND_COLUMNS = (
    "{source} AS source, id, card_id, refunded_at AS occurred_at, 'refund' AS kind, total AS amount, "
    "CAST(NULL AS integer) AS balance, '' AS from_station, '' AS to_station, '' AS operator, '' AS merchant, "
    "'' AS place, '' AS note, destination_method AS payment_method, destination_brand AS payment_brand, "
    "destination_last4 AS payment_last4, CAST(NULL AS varchar(16)) AS pass_kind, CAST(NULL AS integer) AS months, "
    "CAST(NULL AS date) AS valid_from, CAST(NULL AS date) AS valid_until"
)


def _connection():
    """The database history reads go to: the read replica where there is one
    (portal/routers.py)."""
    return connections[router.db_for_read(UsageRecord, history=True)]


def _instant(value: datetime):
    return _connection().ops.adapt_datetimefield_value(value)


def _placeholders(values: Sequence) -> str:
    return ", ".join(["%s"] * len(values))


def _range(column: str, start: datetime, end: datetime | None) -> tuple[str, list]:
    sql, params = f" AND {column} >= %s", [_instant(start)]
    if end is not None:
        sql, params = sql + f" AND {column} < %s", [*params, _instant(end)]
    return sql, params


def _after(column: str, source: Source, position: Position | None) -> tuple[str, list]:
    """Rows of ``source`` after ``position`` in the order
    ``(occurred_at, source, id)`` descending."""
    if position is None:
        return "", []
    at = _instant(position.occurred_at)
    if source < position.source:
        return f" AND {column} <= %s", [at]
    if source > position.source:
        return f" AND {column} < %s", [at]
    return f" AND {column} <= %s AND ({column} < %s OR ({column} = %s AND id < %s))", [at, at, at, position.id]


def _usage_kinds(query: HistoryQuery) -> tuple[str, list]:
    if query.kinds is None:
        return "", []
    kinds = sorted(query.kinds & USAGE_KINDS)
    return f" AND kind IN ({_placeholders(kinds)})", kinds


def read_lines(query: HistoryQuery, position: Position | None, limit: int) -> list[Row]:
    """The first ``limit`` rows after ``position``, newest first: one statement."""
    if not query.cards:
        return []
    parts: list[str] = []
    params: list = []

    def add(select: str, sql_params: list) -> None:
        parts.append(f"SELECT * FROM ({select}) AS h{len(parts)}")
        params.extend(sql_params)

    if query.wants(Source.USAGE):
        kinds_sql, kinds_params = _usage_kinds(query)
        range_sql, range_params = _range("occurred_at", query.start, query.end)
        after_sql, after_params = _after("occurred_at", Source.USAGE, position)
        columns = _USAGE_COLUMNS.format(source=int(Source.USAGE))
        for card_id in query.card_ids:
            add(
                f"SELECT {columns} FROM {USAGE} WHERE card_id = %s{range_sql}{after_sql}{kinds_sql} "
                "ORDER BY occurred_at DESC, id DESC LIMIT %s",
                [card_id, *range_params, *after_params, *kinds_params, limit],
            )
    cards_sql = f"card_id IN ({_placeholders(query.card_ids)})"
    for source, table, columns, column in (
        (Source.PASS, PASSES, _COMMUTER_COLUMNS, "paid_at"),
        (Source.REFUND, REFUNDS, _REFUND_COLUMNS, "refunded_at"),
    ):
        if query.wants(source):
            range_sql, range_params = _range(column, query.start, query.end)
            after_sql, after_params = _after(column, source, position)
            add(
                f"SELECT {columns.format(source=int(source))} FROM {table} WHERE {cards_sql}{range_sql}{after_sql} "
                f"ORDER BY {column} DESC, id DESC LIMIT %s",
                [*query.card_ids, *range_params, *after_params, limit],
            )
    if not parts:
        return []
    sql = (
        f"SELECT * FROM ({' UNION ALL '.join(parts)}) AS history "
        "ORDER BY occurred_at DESC, source DESC, id DESC LIMIT %s"
    )
    with _connection().cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        return [_row(values) for values in cursor.fetchall()]


def _row(values: tuple) -> Row:
    row = Row(*values)
    occurred_at = row.occurred_at
    if row.source != Source.PASS and isinstance(occurred_at, datetime) and occurred_at.tzinfo is not None:
        return row  # PostgreSQL's answer: nothing to convert
    if isinstance(occurred_at, str):  # SQLite answers in text, in UTC
        occurred_at = parse_datetime(occurred_at)
    if occurred_at.tzinfo is None:
        occurred_at = occurred_at.replace(tzinfo=UTC)
    if row.source != Source.PASS:
        return replace(row, occurred_at=occurred_at)
    return replace(row, occurred_at=occurred_at, valid_from=_date(row.valid_from), valid_until=_date(row.valid_until))


def _date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return parse_date(value)


def read_month_totals(query: HistoryQuery, months: Sequence[tuple[int, int]]) -> list[tuple[int, int, int, int, int, int]]:
    """``(year, month, total, paid, received, count)`` per source and month
    of ``months`` (a month with nothing has zeros, or no row)."""
    if not months or not query.cards:
        return []
    parts: list[str] = []
    params: list = []
    cards_sql = f"card_id IN ({_placeholders(query.card_ids)})"
    for year, month in months:
        start, end = japan_month_bounds(year, month)
        start, end = max(start, query.start), end if query.end is None else min(end, query.end)
        key = year * 100 + month
        if query.wants(Source.USAGE):
            kinds_sql, kinds_params = _usage_kinds(query)
            parts.append(
                "SELECT %s, SUM(amount), SUM(CASE WHEN amount < 0 THEN amount ELSE 0 END), "
                "SUM(CASE WHEN amount > 0 THEN amount ELSE 0 END), COUNT(*) "
                f"FROM {USAGE} WHERE {cards_sql} AND occurred_at >= %s AND occurred_at < %s{kinds_sql}"
            )
            params += [key, *query.card_ids, _instant(start), _instant(end), *kinds_params]
        if query.wants(Source.PASS):
            parts.append(
                "SELECT %s, 0 - SUM(price), 0 - SUM(price), 0, COUNT(*) "
                f"FROM {PASSES} WHERE {cards_sql} AND paid_at >= %s AND paid_at < %s"
            )
            params += [key, *query.card_ids, _instant(start), _instant(end)]
        if query.wants(Source.REFUND):
            parts.append(
                "SELECT %s, SUM(total), 0, SUM(total), COUNT(*) "
                f"FROM {REFUNDS} WHERE {cards_sql} AND refunded_at >= %s AND refunded_at < %s"
            )
            params += [key, *query.card_ids, _instant(start), _instant(end)]
    if not parts:
        return []
    with _connection().cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return [
            (*divmod(int(key), 100), int(total or 0), int(paid or 0), int(received or 0), int(count))
            for key, total, paid, received, count in cursor.fetchall()
        ]
