"""Model instances read with written-out SQL, built as the ORM builds them, for the reads every
member page makes (the signed-in member, マイページ's cards and passes, a card page, the
history's cards, the documents list).

``Model.objects.raw(sql)`` maps the cursor's columns to the model's fields by name on every
query: psycopg describes each column, and Django works out the model's init order, the
columns' converters and any annotations again. For one card that was 0.21 ms of CPU, where
reading the same row and building it with ``Model.from_db`` is 0.11 ms (2,000 reads,
PostgreSQL, 2026-12-07). Here the SQL selects the model's own columns in the model's order
(:func:`columns`), so each row goes to ``from_db`` as it comes, through the converters of
those columns (``ShownDateTimeField``; SQLite's datetimes, booleans and UUIDs), looked up
once per database connection.

    sql = f"SELECT {columns(Card, 'c')} FROM cards_card c WHERE c.member_id = %s"
    cards = read(Card, sql, [member.pk])

The instances are those ``Card.objects.raw`` or ``Card.objects.filter`` would give: the same
field values, ``_state.db`` the database read, not ``adding``.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import TypeVar

from django.db import connections, router
from django.db.models import Model
from django.db.models.sql import Query

M = TypeVar("M", bound=Model)

# Per database connection, per model: the field names and what converts the columns.
_specs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
# Per model, table alias and database: the columns' list.
_columns: dict[tuple[type[Model], str | None, str], str] = {}


def columns(model: type[Model], alias: str | None = None, *, using: str | None = None) -> str:
    """The model's columns in the order :func:`read` builds them from, quoted for the
    database, each prefixed with the table's ``alias`` in the query (or none)."""
    key = (model, alias, using or router.db_for_read(model))
    found = _columns.get(key)
    if found is None:
        quote = connections[key[2]].ops.quote_name
        prefix = f"{quote(alias)}." if alias else ""
        found = _columns[key] = ", ".join(prefix + quote(field.column) for field in model._meta.concrete_fields)
    return found


def _spec(model: type[Model], connection):
    by_model = _specs.get(connection)
    if by_model is None:
        by_model = _specs[connection] = {}
    spec = by_model.get(model)
    if spec is None:
        fields = model._meta.concrete_fields
        compiler = Query(model).get_compiler(connection=connection)
        converters = compiler.get_converters([field.get_col(model._meta.db_table) for field in fields])
        spec = by_model[model] = ([field.attname for field in fields], compiler, converters)
    return spec


def read(model: type[M], sql: str, params: Sequence, *, using: str | None = None,
         extra: Sequence[str] = ()) -> list[M]:
    """The rows of ``sql``, which selects :func:`columns` of ``model`` (then the ``extra``
    columns, set on each instance under those names, as ``raw`` sets an annotation), as
    instances of it."""
    database = using or router.db_for_read(model)
    connection = connections[database]
    names, compiler, converters = _spec(model, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if converters:
        rows = compiler.apply_converters(rows, converters)
    from_db = model.from_db
    if not extra:
        return [from_db(database, names, row) for row in rows]
    width = len(names)
    found = []
    for row in rows:
        instance = from_db(database, names, row[:width])
        for name, value in zip(extra, row[width:], strict=True):
            setattr(instance, name, value)
        found.append(instance)
    return found
