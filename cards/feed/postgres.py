"""The PostgreSQL fast path for usage lines (ARCHITECTURE.md "Feed").

Per batch of 10,000 lines, in one transaction:

1. ``COPY`` the new ids and digests straight into ``cards_usagekey``: its primary key is the
   conflict check. Then ``COPY`` the records into the partitioned ``cards_usagerecord``.
   Both run in a savepoint.
2. When an id is stored already (a replay, an overlapping file, a concurrent import), the
   COPY fails on the key and the savepoint is rolled back; the batch then takes the careful
   way (``UsageWriter.write_careful``: look the ids up, ``INSERT … ON CONFLICT DO NOTHING
   RETURNING``, compare digests), and so do the following batches until one meets no stored
   id. A replayed file costs one failed COPY, then index look-ups only.

So a fresh feed goes in at COPY speed with no staging table to write and read again (a
staging table plus ``INSERT … SELECT … ON CONFLICT`` measured about 60 % slower here), and
every line still gets its outcome: imported, unchanged or a conflict with its reason.

The batches are written by a background thread sharing the import's database connection,
while the main thread reads and parses the next batch: parsing (Python) and writing
(PostgreSQL, in its own process) overlap. The main thread does not touch the database until
``finish()`` has joined the thread. Balances go in one ``UPDATE … FROM unnest(…)`` per
chunk of cards.
"""

from __future__ import annotations

import queue
import threading
from datetime import datetime

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from psycopg import errors

from cards.models import UsageKey, UsageRecord

from .usage import Balances, Row, UsageWriter

BATCH = 10_000
_COLUMNS = (
    "card_id, center_id, occurred_at, kind, amount, balance, from_station, to_station, operator, merchant, "
    "place, note, payment_method, payment_brand, payment_last4"
)
_SPECIAL = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_line(card_id: int, values: tuple) -> str:
    """One line of COPY text for the usage table (values as ``content.values``)."""
    fields = [values[0], *values[2:]]
    line = "\t".join(map(str, fields))
    if "\\" in line or "\n" in line or "\r" in line or line.count("\t") != len(fields) - 1:
        line = "\t".join(str(field).translate(_SPECIAL) for field in fields)
    return f"{card_id}\t{line}\n"


class CopyBalances(Balances):
    @staticmethod
    @transaction.atomic
    def _update(items) -> None:
        ids = [card_id for card_id, _ in items]
        moments = [datetime.fromisoformat(at) for _, (at, _, _) in items]
        balances = [balance for _, (_, _, balance) in items]
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute(
                "UPDATE cards_card AS c SET balance = v.balance, balance_at = v.at "
                "FROM unnest(%s::bigint[], %s::timestamptz[], %s::integer[]) AS v(id, at, balance) "
                "WHERE c.id = v.id AND (c.balance_at IS NULL OR c.balance_at < v.at)",
                [ids, moments, balances],
            )


class CopyUsageWriter(UsageWriter):
    batch_size = BATCH

    def __init__(self) -> None:
        super().__init__()
        self.balances = CopyBalances()
        self.careful = False  # the last batch met stored ids

    def write(self, rows: list[Row], card_ids: dict[str, int | None]) -> None:
        if not self.careful:
            try:
                with transaction.atomic():
                    self._copy(rows, card_ids)
                self.imported += len(rows)
                return
            except errors.UniqueViolation:
                self.careful = True
        self.careful = self.write_careful(rows, card_ids) > 0

    @staticmethod
    def _copy(rows: list[Row], card_ids: dict[str, int | None]) -> None:
        raw = connections[DEFAULT_DB_ALIAS].connection
        keys = "".join(f"{row.key}\t{row.digest}\n" for row in rows)
        if "\\" in keys or keys.count("\t") != len(rows) or keys.count("\n") != len(rows):
            keys = "".join(f"{row.key.translate(_SPECIAL)}\t{row.digest}\n" for row in rows)
        records = "".join(copy_line(card_ids[row.number], row.values) for row in rows)
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY {UsageKey._meta.db_table} (center_id, digest) FROM STDIN") as copy:
                copy.write(keys.encode("utf-8"))
            with cursor.copy(f"COPY {UsageRecord._meta.db_table} ({_COLUMNS}) FROM STDIN") as copy:
                copy.write(records.encode("utf-8"))


class Background:
    """Runs a writer's batches on one thread that shares the database connection."""

    def __init__(self, writer: UsageWriter) -> None:
        self.writer = writer
        self.connection = connections[DEFAULT_DB_ALIAS]
        self.connection.ensure_connection()
        self.queue: queue.Queue = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.connection.inc_thread_sharing()
        self.thread = threading.Thread(target=self._run, name="feed-usage-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        connections[DEFAULT_DB_ALIAS] = self.connection
        while (rows := self.queue.get()) is not None:
            if self.error is None:
                try:
                    self.writer.apply(rows)
                except BaseException as error:  # handed to the main thread
                    self.error = error

    def submit(self, rows) -> None:
        self._raise()
        while True:
            try:
                self.queue.put(rows, timeout=1)
                return
            except queue.Full:
                self._raise()

    def stop(self) -> None:
        if self.thread.is_alive():
            self.queue.put(None)
            self.thread.join()
            self.connection.dec_thread_sharing()

    def finish(self) -> None:
        self.stop()
        self._raise()

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error


class BackgroundCopyUsageWriter(CopyUsageWriter):
    """``CopyUsageWriter`` whose batches run on a background thread."""

    def __init__(self) -> None:
        super().__init__()
        self.background = Background(self)

    def submit(self, rows) -> None:
        self.background.submit(rows)

    def finish(self) -> None:
        try:
            if self._rows:
                self.background.submit(self._rows)
                self._rows = []
        finally:
            self.background.finish()
        self.balances.write()

    def abandon(self) -> None:
        """Stop the thread after an error in the main thread (what it wrote stays)."""
        self.background.stop()
