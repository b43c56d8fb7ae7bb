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


def _fetch(sql: str, params: Sequence, database: str) -> list:
    with connections[database].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def read(model: type[M], sql: str, params: Sequence, *, using: str | None = None,
         extra: Sequence[str] = ()) -> list[M]:
    """The rows of ``sql``, which selects :func:`columns` of ``model`` (then the ``extra``
    columns, set on each instance under those names, as ``raw`` sets an annotation), as
    instances of it."""
    database = using or router.db_for_read(model)
    names, compiler, converters = _spec(model, connections[database])
    rows = _fetch(sql, params, database)
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


def read_joined(models: Sequence[type[Model]], sql: str, params: Sequence, *,
                using: str | None = None) -> list[tuple[Model | None, ...]]:
    """The rows of ``sql``, which selects :func:`columns` of each of ``models`` one after the
    other (a join), as a tuple of instances per row: ``None`` for a model whose primary key
    is NULL in the row (an outer join that found nothing). One query where ``read`` would need
    one per model; the same row of a model met twice is two equal instances."""
    database = using or router.db_for_read(models[0])
    connection = connections[database]
    parts = []
    start = 0
    for model in models:
        names, compiler, converters = _spec(model, connection)
        pk_at = start + names.index(model._meta.pk.attname)
        parts.append((model.from_db, names, compiler, converters, start, start + len(names), pk_at))
        start += len(names)
    found = []
    for row in _fetch(sql, params, database):
        instances = []
        for from_db, names, compiler, converters, begin, end, pk_at in parts:
            if row[pk_at] is None:
                instances.append(None)
                continue
            values = row[begin:end]
            if converters:
                values = next(compiler.apply_converters([values], converters))
            instances.append(from_db(database, names, values))
        found.append(tuple(instances))
    return found
