"""portal.model_rows: rows read with written-out SQL are the instances the ORM gives."""

from __future__ import annotations

import pytest
from django.db import connection

from accounts.models import Member
from accounts.tests.factories import MemberFactory
from cards.models import Card, CommuterPass
from cards.tests.factories import CardFactory, CommuterPassFactory
from portal import model_rows

pytestmark = pytest.mark.django_db

MEMBER_CARDS = "SELECT {columns} FROM cards_card c WHERE c.member_id = %s ORDER BY c.id"
MEMBER = "SELECT {columns} FROM accounts_member WHERE id = %s"
PASS_AND_MORE = "SELECT {columns}, p.price + 1 AS price_and_one, 'x' AS mark FROM cards_commuterpass p WHERE p.id = %s"


def _fields(instance) -> dict:
    values = {k: v for k, v in vars(instance).items() if not k.startswith("_")}
    return {**values, "db": instance._state.db, "adding": instance._state.adding}


def test_the_rows_are_the_instances_the_orm_reads():
    """Every field converted as the ORM converts it (the datetimes of ShownDateTimeField, the
    UUID, the booleans: SQLite's as PostgreSQL's), from the database read, not being added."""
    member = MemberFactory()
    cards = [CardFactory(member=member), CardFactory(member=member, suspended=True, nickname="仕事用")]
    CardFactory()  # another member's

    read = model_rows.read(Card, MEMBER_CARDS.format(columns=model_rows.columns(Card, "c")), [member.pk])

    assert [_fields(card) for card in read] == [_fields(card) for card in Card.objects.filter(member=member).order_by("id")]
    assert [card.pk for card in read] == [card.pk for card in cards]
    assert read[1].suspended_at is not None and read[1].suspended_at.tzinfo is not None

    member_sql = MEMBER.format(columns=model_rows.columns(Member))
    assert [_fields(m) for m in model_rows.read(Member, member_sql, [member.pk])] == [_fields(Member.objects.get(pk=member.pk))]
    assert model_rows.read(Member, member_sql, [0]) == []


def test_extra_columns_after_the_models_are_set_on_each_instance():
    commuter_pass = CommuterPassFactory()
    sql = PASS_AND_MORE.format(columns=model_rows.columns(CommuterPass, "p"))

    [read] = model_rows.read(CommuterPass, sql, [commuter_pass.pk], extra=["price_and_one", "mark"])

    assert _fields(read) == {**_fields(CommuterPass.objects.get(pk=commuter_pass.pk)),
                             "price_and_one": commuter_pass.price + 1, "mark": "x"}


def test_the_columns_are_the_models_in_its_order_quoted_and_prefixed():
    quote = connection.ops.quote_name
    expected = ", ".join(f"{quote('c')}.{quote(field.column)}" for field in Card._meta.concrete_fields)
    assert model_rows.columns(Card, "c") == expected
    assert model_rows.columns(Card) == ", ".join(quote(field.column) for field in Card._meta.concrete_fields)


CARDS_AND_PASSES = (
    "SELECT {c}, {p} FROM cards_card c LEFT JOIN cards_commuterpass p ON p.card_id = c.id"
    " WHERE c.member_id = %s ORDER BY c.id, p.id"
)


def test_a_join_gives_each_rows_instances_and_none_where_the_outer_join_found_nothing():
    member = MemberFactory()
    with_passes, without = CardFactory(member=member), CardFactory(member=member, suspended=True)
    first, second = CommuterPassFactory(card=with_passes), CommuterPassFactory(card=with_passes, months=1)
    sql = CARDS_AND_PASSES.format(c=model_rows.columns(Card, "c"), p=model_rows.columns(CommuterPass, "p"))

    rows = model_rows.read_joined((Card, CommuterPass), sql, [member.pk])

    assert [(card.pk, commuter_pass and commuter_pass.pk) for card, commuter_pass in rows] == [
        (with_passes.pk, first.pk), (with_passes.pk, second.pk), (without.pk, None)]
    assert _fields(rows[2][0]) == _fields(Card.objects.get(pk=without.pk))  # converted: suspended_at
    assert _fields(rows[1][1]) == _fields(CommuterPass.objects.get(pk=second.pk))
