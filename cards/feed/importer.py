"""One import of one card center feed file (FEED.md), in constant memory.

``feed_import(stream=..., name=..., reject_path=...)`` reads the file whole and applies it:

1. A quick scan finds the ``card`` lines (``source.card_line_candidates``); they are applied
   first, in file order (``apply_cards``), so a line may stand above the card it refers to.
2. Every line is then read and parsed (``source.spans`` and ``source.lines``; ``blocks``; ``fastpath``; ``parsing``).
   ``usage`` lines are applied in batches as they come (``usage``; ``postgres`` on
   PostgreSQL): they depend on cards only, so applying them before the ``pass`` lines
   leaves the same store as applying them after. ``pass``, ``refund`` and ``points``
   records wait in the scratch file (``scratch``), and a line that cannot be read or does
   not match FEED.md is rejected with the reason ``parse_line`` gives.
3. Then passes, refunds (checked against the refund rules) and points, in that order, each
   in file order (``apply_records``), and the balances of replacement cards.
4. Every rejected line goes, in line order, into the reject file (the original object plus
   ``_line`` and ``_reason``; a line that is not a JSON object, or not UTF-8, as
   ``{"_raw": ..., "_line": ..., "_reason": ...}``, with ``_raw_base64`` holding the exact
   bytes of a line that is not UTF-8 and ``_cut`` set on a line longer than 1 MiB, cut
   there) and into ``FeedReject`` rows, and the counts into the ``FeedImport`` row.

Replays change nothing. When no line is rejected, no reject file is left: a reject file of an
earlier import of the same file is removed, as its lines are now imported or rejected again.

What the summary counts: ``read`` = every line that is not blank; each read line is exactly
one of imported (a new record, or a card line that changed its card), unchanged (a replay)
or rejected.
"""

from __future__ import annotations

import base64
import json
import logging
import os
from dataclasses import dataclass
from typing import BinaryIO

from django.db import connection, transaction
from django.utils import timezone

from cards.models import FeedImport, FeedReject

from . import blocks, native
from .apply_cards import CardApplier, inherit_balances
from .apply_records import PassApplier, PointsApplier, RefundApplier, unknown_card_reason
from .blocks import SpanParser
from .limits import FeedLimits
from .parsing import FeedLineError, parse_line
from .records import CardRecord
from .scratch import Scratch
from .source import Progress, card_line_candidates, raw_lines, size_of, spans
from .usage import UsageWriter
from .validators import MAX_LINE_BYTES

logger = logging.getLogger("cards.feed")



@dataclass(frozen=True)
class ImportReport:
    name: str
    read: int
    imported: int
    unchanged: int
    rejected: int
    reject_path: str | None  # None when no line was rejected
    feed_import: FeedImport
    reject_error: str = ""  # why the reject file could not be written (the rows were)

    @property
    def summary(self) -> str:
        return f"{self.name}: {self.read} read, {self.imported} imported, {self.unchanged} unchanged, {self.rejected} rejected"


def usage_writer(*, big: bool) -> UsageWriter:
    """The writer of usage lines: on PostgreSQL by COPY, on a thread of its own, and for a big
    file on more connections side by side (``postgres.Lanes``; not inside a transaction, whose
    uncommitted rows other connections cannot see)."""
    if connection.vendor == "postgresql":
        from .postgres import LANES, BackgroundWriter, CopyUsageWriter

        lanes = LANES if big and not connection.in_atomic_block else 0
        return BackgroundWriter(CopyUsageWriter(lanes=lanes))
    return UsageWriter()


def feed_import(
    *, stream: BinaryIO, name: str, reject_path: str, file_name: str = "", progress: Progress | None = None
) -> ImportReport:
    """Import one feed file from a seekable binary ``stream``; ``name`` is how the summary
    names it, ``reject_path`` where its rejected lines go, ``file_name`` what the support
    center sees (default: ``name``)."""
    record = FeedImport.objects.create(file_name=(file_name or name)[:500])
    logger.info("feed import %s of %s started", record.pk, name)
    big = (size_of(stream) or 0) >= blocks.POOL_MIN_BYTES
    if big and not native.available():
        logger.warning("feed import %s: the native reader is not built (make setup): every line is read in Python", record.pk)
    # One moment for the whole file: FEED.md's limits are counted from it.
    limits = FeedLimits(record.started_at)
    # The parsing processes start while the card lines are found and applied.
    with Scratch() as scratch, SpanParser(blocks.processes() if big else 0, limits) as parser:
        run = _Run(stream, scratch, progress, limits)
        run.cards()
        run.all_lines(parser, big=big)
        run.others()
        if progress:
            progress.show("rejects")
        written = _write_rejects(scratch, stream, reject_path, record)
        imported, unchanged = run.imported, run.unchanged
        rejected = scratch.rejected
    if progress:
        progress.close()
    if run.read != imported + unchanged + rejected:  # every line has exactly one outcome
        raise RuntimeError(f"feed import {record.pk}: {run.read} read != {imported} + {unchanged} + {rejected}")
    record.finished_at = timezone.now()
    record.read, record.imported, record.unchanged, record.rejected = run.read, imported, unchanged, rejected
    record.reject_file = (reject_path if rejected else "")[:500]
    record.save()
    problem = f"cannot write the reject file {reject_path}: {written.strerror or written}" if written else ""
    report = ImportReport(
        name, run.read, imported, unchanged, rejected, reject_path if rejected else None, record, problem
    )
    logger.info("feed import %s: %s", record.pk, report.summary)
    if problem:
        logger.error("feed import %s: %s", record.pk, problem)
    return report


class _Run:
    def __init__(self, stream: BinaryIO, scratch: Scratch, progress: Progress | None, limits: FeedLimits) -> None:
        self.stream, self.scratch, self.progress, self.limits = stream, scratch, progress, limits
        self.read = self.imported = self.unchanged = self.cards_seen = 0
        self.card_applier = CardApplier(scratch)

    def _show(self, phase: str, *, lines: int | None = None, position: bool = False) -> None:
        if self.progress:
            self.progress.show(phase, self.stream.tell() if position else None, lines)

    def cards(self) -> None:
        self._show("finding card lines")
        for number, text in card_line_candidates(self.stream):
            try:
                record = parse_line(text, self.limits)
            except FeedLineError:  # the full read rejects it
                self._note_unreadable_card(number, text)
                continue
            if isinstance(record, CardRecord):
                self.scratch.keep(number, record, ref=record.wester_id)
        self._show("cards")
        self.card_applier.run()
        self._count(self.card_applier)

    def _note_unreadable_card(self, number: int, text: str) -> None:
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            return
        if isinstance(data, dict) and data.get("type") == "card" and isinstance(data.get("icoca_number"), str):
            wester_id = data.get("wester_id")
            self.scratch.keep_unreadable_card(
                number, data["icoca_number"][:64], wester_id if isinstance(wester_id, str) else None
            )

    def all_lines(self, parser: SpanParser, *, big: bool) -> None:
        """Read every line; parse in blocks (in parallel processes for a big file); apply
        the usage lines block by block and keep the other records for later."""
        writer = usage_writer(big=big)
        try:
            for span in spans(self.stream, blocks.SPAN_BYTES):
                for block in parser.submit(span):
                    self._block(block, writer)
            for block in parser.finish():
                self._block(block, writer)
            self._show("balances")
            writer.finish()
        finally:
            parser.close()
            writer.close()
        self._drain(writer)
        self.imported += writer.imported
        self.unchanged += writer.unchanged
        if self.cards_seen != self.scratch.count("card"):
            raise RuntimeError(f"{self.cards_seen} card lines read, {self.scratch.count('card')} found by the scan")

    def _block(self, block: blocks.Block, writer: UsageWriter) -> None:
        self.read += block.read
        self.cards_seen += block.cards_seen
        for line, reason, record_type, key in block.rejects:
            self.scratch.reject(line, reason, record_type=record_type, key=key)
        for line, record in block.records:
            self.scratch.keep(line, record)
        writer.write_block(block)
        self._drain(writer)
        self._show("lines", lines=self.read, position=True)

    def _drain(self, writer: UsageWriter) -> None:
        while writer.rejects:
            reject = writer.rejects.popleft()
            reason = reject.reason or unknown_card_reason(self.scratch, reject.unknown_card)
            self.scratch.reject(reject.line, reason, record_type="usage", key=reject.key)

    def others(self) -> None:
        for applier in (PassApplier(self.scratch), RefundApplier(self.scratch), PointsApplier(self.scratch)):
            self._show(f"{applier.record_type} lines")
            applier.run()
            self._count(applier)
        inherit_balances()

    def _count(self, applier) -> None:
        self.imported += applier.imported
        self.unchanged += applier.unchanged


# -- the reject file ---------------------------------------------------------------------


def _strict_object(pairs):
    data = dict(pairs)
    if len(data) != len(pairs):
        raise ValueError("duplicate key")
    return data


def _no_constant(name):
    raise ValueError(name)


_STRICT = json.JSONDecoder(object_pairs_hook=_strict_object, parse_constant=_no_constant)


def reject_entry(raw: bytes, cut: bool, line: int, reason: str) -> str:
    """The reject file's line for a rejected feed line (without the line break)."""
    try:
        text, utf8 = raw.decode("utf-8"), True
    except UnicodeDecodeError:
        text, utf8 = raw.decode("utf-8", "backslashreplace"), False
    entry = None
    if utf8 and not cut and not text.startswith("\ufeff"):
        try:
            entry = _STRICT.decode(text)
        except (ValueError, RecursionError):
            entry = None
    if not isinstance(entry, dict):
        entry = {"_raw": text}
        if not utf8:
            entry["_raw_base64"] = base64.b64encode(raw).decode("ascii")
        if cut:
            entry["_cut"] = True
    entry["_line"], entry["_reason"] = line, reason
    written = json.dumps(entry, ensure_ascii=False)
    try:
        written.encode("utf-8")
    except UnicodeEncodeError:  # an unpaired surrogate from a \\ud800 escape
        written = json.dumps(entry)
    return written


def _write_rejects(scratch: Scratch, stream: BinaryIO, path: str, record: FeedImport) -> OSError | None:
    """Write the reject file and the ``FeedReject`` rows; the error when the file could not
    be written (the rows are written anyway)."""
    if not scratch.rejected:
        try:
            if os.path.isfile(path):
                os.remove(path)
        except OSError as error:
            return error
        return None
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        out = open(temporary, "w", encoding="utf-8", newline="\n")  # noqa: SIM115 (closed below)
    except OSError as error:
        out, failure = None, error
    else:
        failure = None
    pending = []

    def numbers():
        for reject in scratch.rejects():
            pending.append(reject)
            yield reject.line

    rows: list[FeedReject] = []
    try:
        for number, raw, cut in raw_lines(stream, numbers()):
            reject = pending.pop()
            assert reject.line == number
            if out is not None:
                out.write(reject_entry(raw, cut, number, reject.reason) + "\n")
            rows.append(
                FeedReject(
                    feed_import=record, line_number=number, record_type=reject.type, record_key=reject.key,
                    reason=reject.reason, line=raw[:MAX_LINE_BYTES].decode("utf-8", "replace"),
                )
            )
            if len(rows) >= 1000:
                _save(rows)
        _save(rows)
    except BaseException:
        if out is not None:
            out.close()
            os.remove(temporary)
        raise
    if out is not None:
        out.close()
        try:
            os.replace(temporary, path)
        except OSError as error:
            failure = error
    return failure


@transaction.atomic
def _save(rows: list[FeedReject]) -> None:
    FeedReject.objects.bulk_create(rows)
    rows.clear()
