"""A read replica that does not answer: the history reads the primary, the log says so once,
and the replica is not tried again for a while (no request waits on it)."""

from __future__ import annotations

import pytest
from django.db import connections, router

from cards.tests.factories import CardFactory, UsageRecordFactory
from portal import routers
from portal.routers import REPLICA

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", REPLICA])


@pytest.fixture(scope="module", autouse=True)
def replica_down(django_db_setup, tmp_path_factory):
    default = connections.settings["default"]
    if default["ENGINE"].endswith("sqlite3"):
        broken = {"NAME": str(tmp_path_factory.mktemp("gone") / "no-such-dir" / "replica.sqlite3")}
    else:
        broken = {"HOST": "127.0.0.1", "PORT": "1", "OPTIONS": {"connect_timeout": 2}}
    connections.settings[REPLICA] = {**default, **broken, "TEST": {"MIRROR": "default"}}
    yield
    connections[REPLICA].close()
    del connections[REPLICA]
    del connections.settings[REPLICA]


def test_the_history_reads_the_primary_while_the_replica_is_down(client, caplog, monkeypatch):
    for each in router.routers:  # the pause this test starts ends with it (monkeypatch restores it)
        if isinstance(each, routers.HistoryReplicaRouter):
            monkeypatch.setattr(each, "down_until", 0.0)
    card = CardFactory()
    UsageRecordFactory(card=card, from_station="大阪", to_station="京都")
    client.force_login(card.member)
    for _ in range(3):
        response = client.get("/history/")
        assert response.status_code == 200 and "京都" in response.content.decode()
    warnings = [r for r in caplog.records if "read replica unavailable" in r.getMessage()]
    assert len(warnings) == 1
