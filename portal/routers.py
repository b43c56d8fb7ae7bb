"""Database routing: the usage history pages read from the read replica when there is one.

``cards/history/reads.py`` asks for its connection with the hint ``history=True``; no other
read does, so the feed import (which must see what it has just written), the receipts (which
must be complete) and every write stay on the primary. The history of a member who signs in
just after an import may then lag the primary by the replica's delay (usually under a second).
"""

from __future__ import annotations

from django.db import connections

REPLICA = "replica"


class HistoryReplicaRouter:
    def db_for_read(self, model, **hints):
        if hints.get("history") and REPLICA in connections.settings:
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return None

    def allow_relation(self, obj1, obj2, **hints):
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA  # the replica follows the primary's schema by replication
