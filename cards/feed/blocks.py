"""Parsing feed lines in blocks, in parallel processes for big files. Django-free.

The importer reads the file in spans of whole lines (``source.spans``, about 2 MiB: 10,000
usual usage lines) and hands them over as bytes; ``parse_span`` splits a span into lines
(``Span.lines``) and parses them (``fastpath``, else ``parsing.parse_line``) into a ``Block``:
the usage lines in the compact form the writers need (and COPY takes: the content text
split around the card number, the digest), the newest balance per card number, the other
records, the rejects. The spans of a big file are parsed by a pool of processes
(``SpanParser``), so that parsing, which is Python and the import's largest cost, runs on
every core while the database writes; the blocks come back in file order. Small files are
parsed in the importing process, the same way.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

from . import content, native
from .fastpath import usage_line
from .limits import FeedLimits
from .parsing import FeedLineError, parse_line
from .records import TYPES, Record
from .source import Span, one_line

#: The bytes of a span (it ends at the first line break after them).
SPAN_BYTES = 2 << 20
#: Files smaller than this are parsed in the importing process (no pool to start).
POOL_MIN_BYTES = 16 << 20


@dataclass
class Block:
    """What one span of lines holds, in file order."""

    read: int = 0
    cards_seen: int = 0  # card lines (applied before, from the quick scan)
    rejects: list[tuple[int, str, str, str]] = field(default_factory=list)  # line, reason, type, key
    records: list[tuple[int, Record]] = field(default_factory=list)  # pass, refund, points
    # The usage lines: their line numbers and card numbers, and the COPY text for them (UTF-8),
    # made here so that the importing process has little left to do: ``key_copy`` holds a
    # line ``id<TAB>digest`` for each, ``record_copy`` a line ``id<TAB>at<TAB>...<TAB>%d`` with
    # ``%`` doubled, whose ``%d`` (the card id, the last column) ``bytes % ids`` fills.
    lines: list[int] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)
    key_copy: bytes = b""
    record_copy: bytes = b""
    # The newest usage line of each card number in the block (by ``at``, then file order):
    # its index in ``lines``, its time (UTC text; the times joined by line breaks) and its
    # balance. Flat, as the importing process takes them: a dict of tuples costs several
    # times more to pass between processes.
    newest: list[int] = field(default_factory=list)
    newest_at: str = ""
    newest_balance: list[int] = field(default_factory=list)

    def newest_lines(self) -> Iterator[tuple[int, str, int]]:
        """``(index, at, balance)`` of the newest usage line of each card number."""
        return zip(self.newest, self.newest_at.split("\n"), self.newest_balance, strict=True)

    def usage(self) -> list[tuple[int, str, str]]:
        """Each usage line as ``(line, content text, digest)``."""
        keys = self.key_copy.decode("utf-8").split("\n")
        records = self.record_copy.decode("utf-8").split("\n")
        found = []
        for index, (line, number) in enumerate(zip(self.lines, self.numbers, strict=True)):
            key, digest = keys[index].split("\t")
            rest = records[index][:-3].split("\t", 1)[1].replace("%%", "%")
            found.append((line, f"{key}\t{number}\t{rest}", digest))
        return found


def type_and_key(text: str) -> tuple[str, str]:
    """The type and id (or card number) of a line that does not parse, where readable."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return "", ""
    if not isinstance(data, dict):
        return "", ""
    record_type = data.get("type") if data.get("type") in TYPES else ""
    key = data.get("icoca_number" if record_type == "card" else "id")
    return record_type, (key if isinstance(key, str) else "")[:64]


def parse_span(span: Span, limits: FeedLimits) -> Block:
    """Split a span into lines and parse them, with the import's ``limits``: natively where
    the library is built (the plain usage lines in C, the others here), else all here."""
    if span.error is None:
        found = native.read(span.data, span.first, limits)
        if found is not None:
            block = _native_block(span, found, limits)
            if block is not None:
                return block
    return _python_block(span, limits)


def _native_block(span: Span, found: native.NativeSpan, limits: FeedLimits) -> Block | None:
    """The block of a span the native reader has read; ``None`` when a line it left is a usage
    line after all (one it does not read: an unknown field, an escape, an unusual time...):
    then the span is read in Python, to keep the usage lines in file order."""
    block = Block(
        read=len(found.lines), lines=found.lines, numbers=found.numbers, key_copy=found.key_copy,
        record_copy=found.record_copy, newest=found.newest, newest_at=found.newest_at,
        newest_balance=found.newest_balance,
    )
    for number, start, end, ended in found.declined:
        for line, text, error in one_line(span.data[start:end], number, ended=ended):
            block.read += 1
            if error is not None:
                block.rejects.append((line, error, "", ""))
            elif usage_line(text, limits) is not None or _slow(block, line, text, limits) is not None:
                return None
    return block


def _python_block(span: Span, limits: FeedLimits) -> Block:
    block = Block()
    lines, numbers, key_copy, record_copy = block.lines, block.numbers, [], []
    latest: dict[str, tuple[str, int, int]] = {}  # card number -> (at, index, balance)
    digest = content.text_digest
    read = 0
    for line, text, error in span.lines():
        read += 1
        if error is not None:  # not UTF-8, or too long
            block.rejects.append((line, error, "", ""))
            continue
        found = usage_line(text, limits)
        if found is None:
            found = _slow(block, line, text, limits)
            if found is None:
                continue
        values, written = found
        key, number, rest = written.split("\t", 2)
        at, seen = values[2], latest.get(number)
        if seen is None or at >= seen[0]:  # the same time: the later line
            latest[number] = (at, len(lines), values[5])
        lines.append(line)
        numbers.append(number)
        key_copy.append(f"{key}\t{digest(written)}\n")
        if "%" in rest or "%" in key:
            record_copy.append(f"{key}\t{rest}\t".replace("%", "%%") + "%d\n")
        else:
            record_copy.append(f"{key}\t{rest}\t%d\n")
    block.read = read
    if latest:
        ats, block.newest, block.newest_balance = (list(column) for column in zip(*latest.values(), strict=True))
        block.newest_at = "\n".join(ats)
    block.key_copy = "".join(key_copy).encode("utf-8")
    block.record_copy = "".join(record_copy).encode("utf-8")
    return block


def _slow(block: Block, line: int, text: str, limits: FeedLimits):
    try:
        record = parse_line(text, limits)
    except FeedLineError as problem:
        block.rejects.append((line, problem.reason, *type_and_key(text)))
        return None
    if record.type == "usage":
        values = content.values(record)
        return values, content.content_text(values)
    if record.type == "card":
        block.cards_seen += 1
    else:
        block.records.append((line, record))
    return None


def _ready() -> None:
    """A first task for a new process of the pool: it has imported this module."""


def processes() -> int:
    """Parsing processes for a big file: one per core, at most four. (Leaving a core to a
    PostgreSQL on the same machine measured slower on two cores: parsing became the
    bottleneck.)"""
    return max(1, min(4, os.cpu_count() or 1))


class SpanParser:
    """Parses spans in order: in this process (``processes`` = 0), or in a pool of
    ``processes`` processes with a bounded number of spans in flight (constant memory).

    The pool's processes are spawned, never forked (the importer holds a database
    connection), so a script that imports feed files must guard its main code with
    ``if __name__ == "__main__":`` as multiprocessing requires (``manage.py`` does). Where a
    pool cannot run (a daemonic process such as a Celery worker) or breaks, the spans are
    parsed here instead."""

    def __init__(self, processes: int, limits: FeedLimits) -> None:
        self.pool, self.limits = None, limits
        if processes > 0 and not multiprocessing.current_process().daemon:
            context = multiprocessing.get_context("spawn")
            self.pool = ProcessPoolExecutor(processes, mp_context=context)
            for _ in range(processes):  # start them now: a process takes a while to start
                self.pool.submit(_ready)
        self.window = 2 * max(1, processes)
        self.pending: deque[tuple[Future | None, Span]] = deque()

    def submit(self, span: Span) -> Iterator[Block]:
        """Hand a span over; yields the blocks that are done, in file order."""
        future = None
        if self.pool is not None:
            try:
                future = self.pool.submit(parse_span, span, self.limits)
            except (BrokenProcessPool, RuntimeError):
                self.close()
        self.pending.append((future, span))
        while self.pending and (
            len(self.pending) > self.window or self.pending[0][0] is None or self.pending[0][0].done()
        ):
            yield self._result(*self.pending.popleft())

    def finish(self) -> Iterator[Block]:
        while self.pending:
            yield self._result(*self.pending.popleft())

    def _result(self, future: Future | None, span: Span) -> Block:
        if future is not None:
            try:
                return future.result()
            except (BrokenProcessPool, CancelledError):
                self.close()
        return parse_span(span, self.limits)

    def __enter__(self) -> SpanParser:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
