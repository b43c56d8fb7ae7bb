"""Database routing: the usage history pages read from the read replica when there is one.

``cards/history/reads.py`` asks for its connection with the hint ``history=True``; no other
read does, so the feed import (which must see what it has just written), the receipts (which
must be complete) and every write stay on the primary. The history of a member who signs in
just after an import may then lag the primary by the replica's delay (usually under a second).

A replica that does not answer is left alone for ``PAUSE`` seconds, during which the history
reads the primary: members keep their history, at the primary's cost.
"""

from __future__ import annotations

import logging
import time

from django.db import DatabaseError, connections

REPLICA = "replica"
PAUSE = 30.0

logger = logging.getLogger("portal.database")


class HistoryReplicaRouter:
    def __init__(self) -> None:
        self.down_until = 0.0

    def db_for_read(self, model, **hints):
        if not hints.get("history") or REPLICA not in connections.settings:
            return None
        if time.monotonic() < self.down_until:
            return None
        try:
            connections[REPLICA].ensure_connection()
        except DatabaseError as error:
            self.down_until = time.monotonic() + PAUSE
            logger.warning("read replica unavailable (%s): the history reads the primary for %.0f s",
                           type(error).__name__, PAUSE)
            return None
        return REPLICA

    def db_for_write(self, model, **hints):
        return None

    def allow_relation(self, obj1, obj2, **hints):
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA  # the replica follows the primary's schema by replication
