"""The read replica (DATABASE_REPLICA_URL): the usage history pages and their CSV read from it;
every other read of the usage records stays on the primary (and without a replica, every
history test of the suite reads the primary). The "replica" here is a second
connection to the test database, added for the test (transactional: it sees what the test
committed)."""

from __future__ import annotations

import pytest
from django.db import connection, connections, router
from django.test.utils import CaptureQueriesContext

from cards.models import UsageRecord
from cards.tests.factories import CardFactory, UsageRecordFactory
from portal.routers import REPLICA

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", REPLICA])


@pytest.fixture(scope="module", autouse=True)
def replica(django_db_setup):
    """For this module's tests, set up before their database access is."""
    connections.settings[REPLICA] = {**connections.settings["default"], "TEST": {"MIRROR": "default"}}
    yield connections[REPLICA]
    connections[REPLICA].close()
    del connections[REPLICA]
    del connections.settings[REPLICA]


def usage_reads(queries) -> list[str]:
    return [query["sql"] for query in queries if UsageRecord._meta.db_table in query["sql"]]


@pytest.mark.parametrize("path", ["/history/", "/history/export.csv"])
def test_the_history_reads_its_lines_from_the_replica(replica, client, path):
    card = CardFactory()
    UsageRecordFactory(card=card, merchant="", from_station="大阪", to_station="京都")
    client.force_login(card.member)
    with CaptureQueriesContext(replica) as on_replica, CaptureQueriesContext(connection) as on_primary:
        response = client.get(path)
        content = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200 and "京都" in content.decode("utf-8-sig")
    assert usage_reads(on_replica.captured_queries)
    assert not usage_reads(on_primary.captured_queries)


def test_other_reads_of_usage_records_stay_on_the_primary(replica):
    assert router.db_for_read(UsageRecord) == "default"  # the feed import, receipts, support
    assert router.db_for_read(UsageRecord, history=True) == REPLICA
    assert router.db_for_write(UsageRecord, history=True) == "default"
    assert not router.allow_migrate(REPLICA, "cards")
