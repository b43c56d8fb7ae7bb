"""No member page reads a whole table of members' data on PostgreSQL: every statement the
pages send is planned with sequential scans switched off (``enable_seqscan = off``), so the
planner falls back to a sequential scan only where no index can answer, and none may read
cards, passes, usage, points, refunds, documents, payment methods or members that way.

A written-out query can be fast on a test database of a few rows and read every row at scale:
マイページ's cards read with ``member_id = %s OR replaces_id IN (…)`` took 17 ms a page at
33,033 cards (a sequential scan) until it became a union of two index scans."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import MemberFactory
from billing.tests.test_document_list_rows import every_kind_and_status
from cards.tests.factories import CardFactory, CommuterPassFactory, PointsEntryFactory, UsageRecordFactory
from cards.tests.history_factories import RefundFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans (SQLite is the laptop default)"),
]

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
#: The tables that grow with members (their names as the models give them).
LARGE = re.compile(
    r"Seq Scan on (accounts_member|cards_\w+|billing_\w+|socialaccount_\w+|account_\w+|usersessions_\w+)\b"
)


def _plans(sqls: list[str]) -> list[str]:
    plans = []
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            for sql in sqls:
                if not sql.lstrip().upper().startswith("SELECT"):
                    continue
                cursor.execute("EXPLAIN " + sql)
                plans.append(sql + "\n" + "\n".join(row[0] for row in cursor.fetchall()))
        finally:
            cursor.execute("SET enable_seqscan = on")
    return plans


@pytest.fixture
def member_with_everything():
    member = MemberFactory()
    old = CardFactory(member=member, reissued=True)
    card = CardFactory(member=member, replaces=old, nickname="仕事用", balance=3000, balance_at=NOW)
    CardFactory(member=member, status="refunded")
    CommuterPassFactory(card=card, valid_from=date(2026, 10, 1), valid_until=date(2026, 12, 31))
    RefundFactory(card=CardFactory(member=member, status="refunded"))
    for n in range(5):
        UsageRecordFactory(card=card, occurred_at=NOW - timedelta(days=n))
        PointsEntryFactory(member=member, points=10)
    every_kind_and_status(member)
    MemberFactory.create_batch(3)  # others' rows
    return member


def test_no_member_page_reads_a_whole_table(client, member_with_everything):
    with time_machine.travel(NOW, tick=False):
        client.force_login(member_with_everything)
        home = client.get("/").content.decode()
        card_page = re.search(r'href="(/cards/[0-9a-f-]{36}/)"', home).group(1)
        sqls = []
        for path in ("/", card_page, "/history/", "/history/?kind=ride", "/points/", "/payment-methods/",
                     "/documents/", "/documents/?kind=receipt&amount_min=100", "/refunds/", "/settings/"):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(path).status_code == 200, path
            sqls += [query["sql"] for query in queries]

    plans = _plans(sqls)
    assert len(plans) > 20
    whole = [plan for plan in plans if LARGE.search(plan)]
    assert not whole, "\n\n".join(whole)


def test_the_check_finds_a_whole_table_read(member_with_everything):
    """The check itself: the OR that read every card is caught."""
    sql = (f"SELECT c.* FROM cards_card c WHERE c.member_id = {member_with_everything.pk}"  # noqa: S608 (an int)
           f" OR c.replaces_id IN (SELECT t.id FROM cards_card t WHERE t.member_id = {member_with_everything.pk})")
    assert LARGE.search(_plans([sql])[0])


def test_a_statement_run_again_on_a_connection_is_prepared(member_with_everything):
    """The member pages' statements are parsed and planned once per connection, not every time
    (docs/decisions.md: parameters bound by the server, statements prepared)."""
    for _ in range(6):
        with connection.cursor() as cursor:
            cursor.execute("SELECT COALESCE(SUM(points), 0) FROM cards_pointsentry WHERE member_id = %s",
                           [member_with_everything.pk])
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any("FROM cards_pointsentry WHERE member_id = $1" in statement for statement in prepared), prepared
