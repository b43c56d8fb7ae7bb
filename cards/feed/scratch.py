"""The scratch space of one import: a temporary SQLite file. Django-free.

It keeps what a streaming import cannot keep in memory: the parsed ``card``, ``pass``,
``refund`` and ``points`` records until their turn comes (in file order), the card lines
whose ``replaces`` waits for a card further down, and every rejected line with its reason,
until the reject file is written in line order. Usage records never come here: they are
applied while the file is read. The file is deleted when the import ends.
"""

from __future__ import annotations

import os
import pickle
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

from .records import Record

_SCHEMA = """
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
PRAGMA temp_store = FILE;
CREATE TABLE records (type TEXT NOT NULL, line INTEGER NOT NULL, key TEXT NOT NULL, ref TEXT, data BLOB NOT NULL);
CREATE INDEX records_line ON records (type, line);
CREATE INDEX records_key ON records (type, key);
CREATE INDEX records_ref ON records (type, ref);
CREATE TABLE waiting (line INTEGER PRIMARY KEY, key TEXT NOT NULL, data BLOB NOT NULL);
CREATE INDEX waiting_key ON waiting (key);
CREATE TABLE rejects (line INTEGER PRIMARY KEY, type TEXT NOT NULL, key TEXT NOT NULL, reason TEXT NOT NULL);
CREATE INDEX rejects_key ON rejects (type, key);
"""
_FLUSH = 1000
_UNREADABLE_CARD = "card?"


@dataclass(frozen=True)
class Reject:
    line: int
    type: str  # "" when the line has no readable type
    key: str  # the record's id or card number, "" when unknown
    reason: str


class Scratch:
    def __init__(self) -> None:
        self._directory = tempfile.TemporaryDirectory(prefix="feed-import-")
        path = os.path.join(self._directory.name, "scratch.sqlite3")
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.executescript(_SCHEMA)
        self._records: list[tuple[str, int, str, str | None, bytes]] = []
        self._rejects: list[tuple[int, str, str, str]] = []
        self.rejected = 0

    def close(self) -> None:
        self.db.close()
        self._directory.cleanup()

    def __enter__(self) -> Scratch:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- records ---------------------------------------------------------------------------

    def keep(self, line: int, record: Record, *, ref: str | None = None) -> None:
        """Keep a parsed record until its type's turn (``ref``: a card's wester_id)."""
        data = pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)
        self._records.append((record.type, line, record.key, ref, data))
        if len(self._records) >= _FLUSH:
            self.flush()

    def flush(self) -> None:
        if self._records:
            self.db.executemany("INSERT INTO records VALUES (?, ?, ?, ?, ?)", self._records)
            self._records.clear()
        if self._rejects:
            self.db.executemany("INSERT INTO rejects VALUES (?, ?, ?, ?)", self._rejects)
            self._rejects.clear()

    def records(self, record_type: str, *, batch: int) -> Iterator[list[tuple[int, Record]]]:
        """The kept records of a type in file order, ``batch`` at a time."""
        self.flush()
        cursor = self.db.execute("SELECT line, data FROM records WHERE type = ? ORDER BY line", (record_type,))
        while rows := cursor.fetchmany(batch):
            yield [(line, pickle.loads(data)) for line, data in rows]  # noqa: S301 (our own file)

    def count(self, record_type: str) -> int:
        self.flush()
        return self.db.execute("SELECT count(*) FROM records WHERE type = ?", (record_type,)).fetchone()[0]

    def keep_unreadable_card(self, line: int, number: str, wester_id: str | None) -> None:
        """Note a card line that does not parse, so that what refers to its card can say so."""
        self._records.append((_UNREADABLE_CARD, line, number, wester_id, b""))

    def first_line(self, record_type: str, key: str) -> int | None:
        """The first line of this file with a record of that type and key (for cards, a
        card line that did not parse counts)."""
        self.flush()
        types = (record_type, _UNREADABLE_CARD if record_type == "card" else record_type)
        row = self.db.execute(
            "SELECT min(line) FROM (SELECT line FROM records WHERE type IN (?, ?) AND key = ? "
            "UNION ALL SELECT line FROM rejects WHERE type = ? AND key = ?)",
            (*types, key, record_type, key),
        ).fetchone()
        return row[0]

    def first_card_line_of(self, wester_id: str) -> int | None:
        self.flush()
        row = self.db.execute(
            "SELECT min(line) FROM records WHERE type IN ('card', ?) AND ref = ?", (_UNREADABLE_CARD, wester_id)
        ).fetchone()
        return row[0]

    # -- card lines waiting for the card they replace ----------------------------------------

    def wait(self, line: int, record: Record) -> None:
        data = pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)
        self.db.execute("INSERT INTO waiting VALUES (?, ?, ?)", (line, record.key, data))

    def is_waiting(self, key: str) -> bool:
        return self.db.execute("SELECT 1 FROM waiting WHERE key = ? LIMIT 1", (key,)).fetchone() is not None

    def waiting_count(self) -> int:
        return self.db.execute("SELECT count(*) FROM waiting").fetchone()[0]

    def take_waiting(self) -> list[tuple[int, Record]]:
        """Every waiting line, in file order, removed from the waiting list. (Forward
        references are rare; each round holds only them.)"""
        rows = self.db.execute("SELECT line, data FROM waiting ORDER BY line").fetchall()
        self.db.execute("DELETE FROM waiting")
        return [(line, pickle.loads(data)) for line, data in rows]  # noqa: S301 (our own file)

    # -- rejects -----------------------------------------------------------------------------

    def reject(self, line: int, reason: str, *, record_type: str = "", key: str = "") -> None:
        self._rejects.append((line, record_type, key[:64], reason))
        self.rejected += 1
        if len(self._rejects) >= _FLUSH:
            self.flush()

    def rejects(self) -> Iterator[Reject]:
        """Every rejected line, in line order."""
        self.flush()
        for row in self.db.execute("SELECT line, type, key, reason FROM rejects ORDER BY line"):
            yield Reject(*row)
