from datetime import UTC, date, datetime

import pytest
from django.db import connection

from accounts.tests.factories import MemberFactory
from cards import partitions
from cards.models import Card, UsageRecord

pytestmark = pytest.mark.django_db

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="partitions exist on PostgreSQL only (CI runs them)"
)


def make_usage(at: datetime) -> UsageRecord:
    card = Card.objects.create(
        icoca_number="JW0000000000000AB", member=MemberFactory(), device="android", status="active",
        issued_at=datetime(2025, 1, 1, tzinfo=UTC),
    )
    return UsageRecord.objects.create(
        center_id="U-1", card=card, occurred_at=at, kind="ride", amount=-200, balance=800,
        from_station="大阪", to_station="京都",
    )


def test_sqlite_keeps_one_plain_table():
    if connection.vendor == "postgresql":
        pytest.skip("SQLite only")
    assert partitions.ensure_usage_partitions(first=date(2030, 1, 1), last=date(2030, 2, 1)) == []
    assert partitions.detach_usage_partitions(before=date(2030, 1, 1)) == []


@needs_postgres
def test_a_new_partition_takes_over_its_rows_from_the_default_partition():
    usage = make_usage(datetime(2031, 5, 31, 15, 30, tzinfo=UTC))  # 2031-06-01 00:30 in Japan

    created = partitions.ensure_usage_partitions(first=date(2031, 6, 1), last=date(2031, 6, 1))

    assert created == ["cards_usagerecord_p2031_06"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cards_usagerecord_p2031_06 WHERE center_id = 'U-1'")
        assert cursor.fetchone() == (1,)
        cursor.execute("SELECT count(*) FROM cards_usagerecord_default")
        assert cursor.fetchone() == (0,)
    assert UsageRecord.objects.get(pk=usage.pk).amount == -200
    assert partitions.ensure_usage_partitions(first=date(2031, 6, 1), last=date(2031, 6, 1)) == []


@needs_postgres
def test_old_partitions_are_detached_not_dropped():
    partitions.ensure_usage_partitions(first=date(2031, 6, 1), last=date(2031, 7, 1))
    detached = partitions.detach_usage_partitions(before=date(2024, 1, 1))
    assert detached == []
    oldest = min(n for n in partitions.existing_partitions() if n.startswith("cards_usagerecord_p"))
    year, month = int(oldest[-7:-3]), int(oldest[-2:])

    detached = partitions.detach_usage_partitions(before=partitions.add_months(date(year, month, 1), 1))

    assert detached == [oldest]
    assert oldest not in partitions.existing_partitions()
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [oldest])
        assert cursor.fetchone()[0] is not None


def test_the_command_refuses_bad_numbers():
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="--ahead must be between 0 and 24"):
        call_command("usage_partitions", "--ahead", "-1")
    with pytest.raises(CommandError, match="--margin must be between 0 and 120"):
        call_command("usage_partitions", "--detach", "--margin", "500")


def test_the_command_and_the_beat_task_create_months_ahead():
    from io import StringIO

    from django.core.management import call_command

    from cards.tasks import usage_partitions_upkeep

    out = StringIO()
    call_command("usage_partitions", "--ahead", "6", stdout=out)
    if connection.vendor == "postgresql":
        assert "created" in out.getvalue()
        assert usage_partitions_upkeep() == []  # already there: nothing more
    else:
        assert "nothing to do" in out.getvalue()


@needs_postgres
def test_feed_tables_have_their_storage_settings():
    """Migration cards.0003: card pages keep room for balance updates in place, and usage
    keys compare bytes."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'cards_card'")
        assert "fillfactor=70" in cursor.fetchone()[0]
        cursor.execute(
            "SELECT c.collname FROM pg_attribute a JOIN pg_collation c ON c.oid = a.attcollation "
            "WHERE a.attrelid = 'cards_usagekey'::regclass AND a.attname = 'center_id'"
        )
        assert cursor.fetchone()[0] == "C"


@needs_postgres
def test_the_history_index_carries_amount_and_kind_on_every_partition_so_month_totals_read_it_alone():
    """cards/0004: a history page's month totals are an index-only scan (issue 16)."""
    partitions.ensure_usage_partitions(first=date(2031, 6, 1), last=date(2031, 7, 1))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class x ON x.oid = i.indexrelid "
            "WHERE c.relname LIKE 'cards_usagerecord%%' AND pg_get_indexdef(i.indexrelid) LIKE '%%(card_id, occurred_at DESC, id DESC)%%'"
        )
        found = dict(cursor.fetchall())
        cursor.execute("SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = 'cards_usagerecord'::regclass")
        partitions_now = {name for (name,) in cursor.fetchall()}
        make_usage(datetime(2031, 6, 10, 3, 0, tzinfo=UTC))
        cursor.execute("SET LOCAL enable_seqscan = off")  # a few rows: make the planner show the index
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(
            "EXPLAIN SELECT SUM(amount), COUNT(*) FROM cards_usagerecord WHERE card_id IN (1, 2) "
            "AND occurred_at >= %s AND occurred_at < %s AND kind IN ('ride', 'bus')",
            [datetime(2031, 5, 31, 15, tzinfo=UTC), datetime(2031, 6, 30, 15, tzinfo=UTC)],
        )
        plan = "\n".join(row for (row,) in cursor.fetchall())

    assert {"cards_usagerecord", *partitions_now} <= set(found)
    assert all("INCLUDE (amount, kind)" in definition for definition in found.values())
    assert "Index Only Scan" in plan, plan
