"""The PostgreSQL fast path for usage lines (ARCHITECTURE.md "Feed").

Per parsed block of 10,000 lines, in one transaction:

1. ``COPY`` the new ids and digests straight into ``cards_usagekey``: its primary key is the
   conflict check. Then ``COPY`` the records into the partitioned ``cards_usagerecord``.
   The parsing processes have written the COPY text already.
2. When an id is stored already (a replay, an overlapping file, a concurrent import, the
   same id twice in the block), the COPY fails on the key and the transaction is rolled
   back; the block then takes the careful way in a new one (``UsageWriter.write_rows``: look the ids up,
   ``INSERT … ON CONFLICT DO NOTHING RETURNING``, compare digests), and so do the following
   blocks until one meets no stored id. A replayed file costs one failed COPY, then index
   look-ups only.

So a fresh feed goes in at COPY speed with no staging table to write and read again (a
staging table plus ``INSERT … SELECT … ON CONFLICT`` measured about 60 % slower here), and
every line still gets its outcome: imported, unchanged or a conflict with its reason.
Balances go in one ``UPDATE … FROM unnest(…)`` per chunk of cards.

``BackgroundWriter`` writes the blocks on a thread that shares the import's connection, so
that the importing process reads the file, hands chunks to the parsing processes and takes
their blocks while PostgreSQL writes the previous one. The thread has little Python to run
(COPY waits with the GIL released); the importing process does not touch the database until
``finish()`` has joined it.

``Lanes``: for a big file, the COPYs of a fresh feed run on two more connections side by side
(one PostgreSQL backend alone is the import's bottleneck), as if one after the other: a
block COPYs its keys only once the block before it has COPYed its own (so of two lines with
one id, the earlier one's key is in first and the later one waits for it and fails), and
commits only once the block before it has committed; a block after one that failed rolls
back. A block fails on an id stored already, and on a key another import holds for longer
than ``LANE_LOCK_TIMEOUT``. The blocks' outcomes are taken in file order; from the first
block that failed on, every block takes the serial way above, as without lanes.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections import deque

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from psycopg import errors

from cards.models import UsageKey, UsageRecord

from .blocks import Block
from .usage import Balances, UsageWriter

# The card id last: ``Block.record_copy`` leaves it to fill in.
_COLUMNS = (
    "center_id, occurred_at, kind, amount, balance, from_station, to_station, operator, merchant, "
    "place, note, payment_method, payment_brand, payment_last4, card_id"
)
#: Connections that COPY a big file's blocks side by side (``Lanes``).
LANES = 2
#: How long a lane waits for a key another transaction holds: the blocks of this import wait
#: for each other in Python, where PostgreSQL cannot see a deadlock with another import; a
#: lane that waits longer gives up, and the blocks go the serial way (which waits as long as
#: it takes, and whose deadlocks PostgreSQL sees).
LANE_LOCK_TIMEOUT = "10s"
_KEYS = f"COPY {UsageKey._meta.db_table} (center_id, digest) FROM STDIN"
_RECORDS = f"COPY {UsageRecord._meta.db_table} ({_COLUMNS}) FROM STDIN"


class CopyBalances(Balances):
    @staticmethod
    @transaction.atomic
    def _update(items) -> None:
        # Three array literals: the numbers and UTC times need no quoting, and psycopg would
        # take longer to write 50,000 cards' values as arrays than PostgreSQL to update them.
        ids = ",".join(str(card_id) for card_id, _ in items)
        moments = ",".join(at for _, (at, _) in items)
        balances = ",".join(str(balance) for _, (_, balance) in items)
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute(
                "UPDATE cards_card AS c SET balance = v.balance, balance_at = v.at "
                "FROM unnest(%s::bigint[], %s::timestamptz[], %s::integer[]) AS v(id, at, balance) "
                "WHERE c.id = v.id AND (c.balance_at IS NULL OR c.balance_at < v.at)",
                [f"{{{ids}}}", f"{{{moments}}}", f"{{{balances}}}"],
            )


class CopyUsageWriter(UsageWriter):
    def __init__(self, lanes: int = 0) -> None:
        super().__init__()
        self.balances = CopyBalances()
        self.careful = False  # the last block met stored ids
        self.lanes = Lanes(lanes) if lanes else None

    def start(self) -> None:
        # The blocks need not wait for their commits to reach the disk one by one: the
        # import ends with the synchronous commit of its FeedImport row, which makes every
        # earlier commit durable too (the WAL is written in order). A crash before that
        # loses blocks of an import that never reported, and a replay restores them.
        self._set("SET synchronous_commit TO OFF")

    def finish(self) -> None:
        self._take(self._stop_lanes())
        super().finish()
        self._set("RESET synchronous_commit")

    def close(self) -> None:
        if self.lanes is not None:
            with contextlib.suppress(Exception):  # the error that brought us here is reported
                self.lanes.close()
        with contextlib.suppress(Exception):  # in an aborted transaction, its rollback resets it
            self._set("RESET synchronous_commit")

    @staticmethod
    def _set(statement: str) -> None:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute(statement)

    def write(self, block: Block, card_ids: list[int | None]) -> None:
        if self.lanes is not None:
            self._take(self.lanes.done())
        if self.lanes is not None:
            self.lanes.submit(block, card_ids)
            return
        if not self.careful:
            try:
                with transaction.atomic():
                    written = self._copy(block, card_ids)
            except errors.UniqueViolation:
                self.careful = True
            else:
                self._stored(block, card_ids, written)
                return
        with transaction.atomic():
            self.careful = self.replayed(block, card_ids) or self.write_rows(self.rows(block, card_ids)) > 0

    def _take(self, jobs: list[_Job]) -> None:
        """The outcomes of blocks the lanes wrote, in file order. From the first one that
        failed on (every later one failed too), the lanes stop and the blocks go the serial way."""
        waiting = deque(jobs)
        while waiting:
            job = waiting.popleft()
            if job.ok:
                self._stored(job.block, job.card_ids, job.written)
                continue
            waiting.extend(self._stop_lanes())
            self.write(job.block, job.card_ids)

    def _stop_lanes(self) -> list[_Job]:
        """The jobs of the lanes not taken yet, once every one has finished."""
        if self.lanes is None:
            return []
        lanes, self.lanes = self.lanes, None
        return lanes.close()

    def _stored(self, block: Block, card_ids: list[int | None], count: int) -> None:
        self.imported += count
        self.balances.note_block(block, card_ids)

    @staticmethod
    def _copy(block: Block, card_ids: list[int | None]) -> int:
        """COPY the keys, then the records; returns how many."""
        keys, records, count = _copy_texts(block, card_ids)
        _copy_in(_KEYS, keys)
        _copy_in(_RECORDS, records)
        return count


def _copy_texts(block: Block, card_ids: list[int | None]) -> tuple[bytes, bytes, int]:
    """The COPY texts of the keys and of the records of a block's lines of known cards, and
    how many lines they are."""
    key_text, record_text = block.key_copy, block.record_copy
    if None in card_ids:  # leave out the lines of unknown cards
        known = [card_id is not None for card_id in card_ids]
        key_text = b"".join(k + b"\n" for k, ok in zip(key_text.split(b"\n"), known, strict=False) if ok)
        record_text = b"".join(r + b"\n" for r, ok in zip(record_text.split(b"\n"), known, strict=False) if ok)
        card_ids = [card_id for card_id in card_ids if card_id is not None]
    return key_text, record_text % tuple(card_ids), len(card_ids)


def _copy_in(statement: str, text: bytes) -> None:
    with connections[DEFAULT_DB_ALIAS].connection.cursor() as cursor, cursor.copy(statement) as copy:
        copy.write(text)


class _Behind(Exception):
    """The block before failed: this one waits for the serial way."""


class _Job:
    def __init__(self, block: Block, card_ids: list[int | None], before: _Job | None) -> None:
        self.block, self.card_ids, self.before = block, card_ids, before
        self.keys_in, self.finished = threading.Event(), threading.Event()
        self.ok = False  # committed; else rolled back (an id stored already, or a block before was)
        self.written = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        before = self.before
        try:
            keys, records, count = _copy_texts(self.block, self.card_ids)
            with transaction.atomic():
                try:
                    if before is not None:
                        before.keys_in.wait()
                    _copy_in(_KEYS, keys)
                finally:
                    self.keys_in.set()
                _copy_in(_RECORDS, records)
                if before is not None:
                    before.finished.wait()
                    if not before.ok:
                        raise _Behind
            self.ok, self.written = True, count
        except (errors.UniqueViolation, errors.LockNotAvailable, _Behind):
            pass
        except BaseException as error:  # handed to the writer
            self.error = error
        finally:
            self.before = None
            self.fail_if_waiting()

    def fail_if_waiting(self, error: BaseException | None = None) -> None:
        """Let the next block go on (a job never waits for ever)."""
        self.error = self.error or error
        self.keys_in.set()
        self.finished.set()


class Lanes:
    """``count`` threads, each with its own connection, writing blocks by COPY in turn."""

    def __init__(self, count: int) -> None:
        self.queues: list[queue.SimpleQueue] = [queue.SimpleQueue() for _ in range(count)]
        self.threads = [
            threading.Thread(target=self._run, args=(q,), name=f"feed-usage-lane-{i}", daemon=True)
            for i, q in enumerate(self.queues)
        ]
        self.pending: deque[_Job] = deque()
        self.submitted = 0
        for thread in self.threads:
            thread.start()

    @staticmethod
    def _run(jobs: queue.SimpleQueue) -> None:
        connection = connections[DEFAULT_DB_ALIAS]  # this thread's own
        error = None
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET synchronous_commit TO OFF")  # see CopyUsageWriter.start
                # set_config, not SET: SET takes no parameter when the server binds them.
                cursor.execute("SELECT set_config('lock_timeout', %s, false)", [LANE_LOCK_TIMEOUT])
        except Exception as problem:  # each job reports it
            error = problem
        while (job := jobs.get()) is not None:
            if error is None:
                job.run()
            else:
                job.fail_if_waiting(error)
        connection.close()

    def submit(self, block: Block, card_ids: list[int | None]) -> None:
        if len(self.pending) >= 2 * len(self.queues):  # a bounded number in flight
            self.pending[0].finished.wait()
        job = _Job(block, card_ids, self.pending[-1] if self.pending else None)
        self.pending.append(job)
        self.queues[self.submitted % len(self.queues)].put(job)
        self.submitted += 1

    def done(self) -> list[_Job]:
        """The jobs finished, in order, from the first one on."""
        finished = []
        while self.pending and self.pending[0].finished.is_set():
            finished.append(self._checked(self.pending.popleft()))
        return finished

    def close(self) -> list[_Job]:
        """Wait for every job; stop the threads; the jobs not taken yet, in order."""
        rest = []
        while self.pending:
            job = self.pending.popleft()
            job.finished.wait()
            rest.append(job)
        for jobs in self.queues:
            jobs.put(None)
        for thread in self.threads:
            thread.join()
        return [self._checked(job) for job in rest]

    @staticmethod
    def _checked(job: _Job) -> _Job:
        if job.error is not None:
            raise job.error
        return job


class BackgroundWriter:
    """A ``UsageWriter`` run on one thread sharing the database connection."""

    def __init__(self, writer: CopyUsageWriter) -> None:
        self.writer = writer
        writer.start()
        self.connection = connections[DEFAULT_DB_ALIAS]
        self.connection.ensure_connection()
        self.connection.inc_thread_sharing()
        self.queue: queue.Queue = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="feed-usage-writer", daemon=True)
        self.thread.start()

    @property
    def rejects(self) -> deque:
        return self.writer.rejects

    @property
    def imported(self) -> int:
        return self.writer.imported

    @property
    def unchanged(self) -> int:
        return self.writer.unchanged

    def _run(self) -> None:
        connections[DEFAULT_DB_ALIAS] = self.connection
        while (block := self.queue.get()) is not None:
            if self.error is None:
                try:
                    self.writer.write_block(block)
                except BaseException as error:  # handed to the importing thread
                    self.error = error

    def write_block(self, block: Block) -> None:
        while True:
            self._raise()
            try:
                self.queue.put(block, timeout=1)
                return
            except queue.Full:
                continue

    def finish(self) -> None:
        self._stop()
        self._raise()
        self.writer.finish()

    def close(self) -> None:
        self._stop()
        self.writer.close()

    def _stop(self) -> None:
        if self.thread.is_alive():
            self.queue.put(None)
            self.thread.join()
            self.connection.dec_thread_sharing()

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error
