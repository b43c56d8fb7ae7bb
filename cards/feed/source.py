"""The file an import reads, read more than once in constant memory. Django-free.

An import reads its file three times: a quick scan for the ``card`` lines (so that cards are
applied before every other type, wherever they stand in the file), the full read of every
line, and, when lines were rejected, a last read that copies them into the reject file. A
file that cannot be read again from its start (standard input, a pipe) is first copied to a
temporary file.

Line numbers are those an editor shows (the tests' ``feed_reader.iter_lines``): every ``\\n`` ends a line, blank lines keep
their numbers.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from .validators import BOM, MAX_LINE_BYTES, not_utf8, too_long

_BLOCK = 1 << 20
# A card line names its type in the open ("type": "card") or with an escape (a backslash).
_TYPE_CARD = re.compile(rb'"type"[ \t\r]*:[ \t\r]*"card"')
#: The longest rejected line copied whole into the reject file; longer ones are cut.
MAX_REJECT_COPY = 1 << 20


class FeedUnreadable(OSError):
    """The file cannot be read at all: missing, a directory, no permission."""


def open_source(path: str, *, stdin: BinaryIO | None = None) -> BinaryIO:
    """A seekable binary stream of ``path`` (``-``: ``stdin``, copied to a temporary file)."""
    if path == "-":
        if stdin is None:
            raise FeedUnreadable("no standard input to read")
        return _spool(stdin)
    try:
        if os.path.isdir(path):
            raise IsADirectoryError(21, "Is a directory")
        stream = open(path, "rb")  # noqa: SIM115 (the import closes it)
    except OSError as error:
        raise FeedUnreadable(error.strerror or str(error)) from None
    if not stream.seekable():  # a named pipe, a device
        with stream:
            return _spool(stream)
    return stream


def _spool(stream: BinaryIO) -> BinaryIO:
    spool = tempfile.TemporaryFile(prefix="feed-")  # noqa: SIM115 (returned)
    shutil.copyfileobj(stream, spool, _BLOCK)
    spool.seek(0)
    return spool


def size_of(stream: BinaryIO) -> int | None:
    try:
        return os.fstat(stream.fileno()).st_size
    except (OSError, ValueError):
        return None


def card_line_candidates(stream: BinaryIO) -> Iterator[tuple[int, str]]:
    """``(line number, text)`` of every line that may be a ``card`` record, as
    ``iter_lines`` would give its text; other lines are skipped without decoding them.

    A line is a candidate when it holds ``"type": "card"`` or a backslash (a type written
    with escapes). Lines too long to be records, or not UTF-8, are left to the full read,
    which rejects them."""
    stream.seek(0)
    number = 0  # lines ended before ``data``
    carry, skipping = b"", False
    while block := stream.read(_BLOCK):
        if skipping:  # inside a line too long to be a record
            end = block.find(b"\n")
            if end < 0:
                continue
            number, skipping, block = number + 1, False, block[end + 1 :]
        data = carry + block
        end = data.rfind(b"\n")
        body, carry = (data[: end + 1], data[end + 1 :]) if end >= 0 else (b"", data)
        if len(carry) > MAX_LINE_BYTES + len(BOM) + 2:
            carry, skipping = b"", True
        done = 0  # offset in ``body`` up to which lines are counted in ``number``
        for start in _candidates(body):
            stop = body.index(b"\n", start)
            number += body.count(b"\n", done, start)
            text = _text(body[start:stop], number + 1, ended=True)
            if text is not None:
                yield number + 1, text
            number, done = number + 1, stop + 1
        number += body.count(b"\n", done)
    if carry and not skipping and (b"\\" in carry or _TYPE_CARD.search(carry)):
        text = _text(carry, number + 1, ended=False)
        if text is not None:
            yield number + 1, text


def _candidates(body: bytes) -> list[int]:
    """The starts of the candidate lines in ``body`` (whole lines), in order. Searched with
    ``bytes.find`` (fast) for ``"card"`` and backslashes; a line with ``"card"`` is a
    candidate only if it says ``"type": "card"`` (``"method": "card"`` is not). Usually
    every ``"card"`` of a block is a payment's ``"method":"card"`` and no line has a
    backslash: then two counts tell that there is no candidate."""
    if b"\\" not in body and body.count(b'"card"') == body.count(b'"method":"card"'):
        return []
    starts = set()
    for needle in (b'"card"', b"\\"):
        position = body.find(needle)
        while position >= 0:
            start = body.rfind(b"\n", 0, position) + 1
            stop = body.index(b"\n", position)
            if needle == b"\\" or _TYPE_CARD.search(body, start, stop):
                starts.add(start)
            position = body.find(needle, stop)
    return sorted(starts)


@dataclass(frozen=True)
class Span:
    """Whole lines of a file, from line ``first`` on, as bytes; or, when ``error`` is set, the
    one line ``first``, too long to keep, and the reason it is rejected."""

    first: int
    data: bytes = b""
    error: str | None = None

    def lines(self) -> Iterator[tuple[int, str | None, str | None]]:
        """What ``lines`` gives for these lines of the file."""
        if self.error is not None:
            return iter(((self.first, None, self.error),))
        return lines(io.BytesIO(self.data), first=self.first)


def spans(stream: BinaryIO, size: int) -> Iterator[Span]:
    """The file from its start in spans of whole lines, each ending at the first line break
    at or after ``size`` bytes, so that other processes can split and read the lines (the
    ``Span.lines`` of every span, in order, are exactly ``lines(stream)``: a test checks it).
    A line too long to be a record is not kept in memory: it is a span of its own with its
    reason, as ``lines`` gives it."""
    stream.seek(0)
    number = 0  # lines before ``data``
    limit = MAX_LINE_BYTES + len(BOM) + 2  # a line longer than this is too long, whatever it holds
    while data := stream.read(size):
        if data[-1:] != b"\n":  # on to the end of the line, unless it is too long to keep
            data += stream.readline(limit + 1)
        end = data.rfind(b"\n") + 1  # the end of the last whole line
        if len(data) - end <= limit:  # whole lines (the last one may end the file unbroken)
            yield Span(number + 1, data)
            number += data.count(b"\n")
            continue
        if end:
            yield Span(number + 1, data[:end])
            number += data.count(b"\n", 0, end)
        number += 1
        bom = len(BOM) if number == 1 and data.startswith(BOM) else 0
        yield Span(number, error=too_long(_rest_of_line(stream, data[end:]) - bom))


def _rest_of_line(stream: BinaryIO, start: bytes) -> int:
    """Read on to the end of a line that began with ``start``; its length (without the line
    break and a carriage return before it)."""
    length, last = len(start), start[-1:]
    while chunk := stream.readline(_BLOCK):
        if chunk.endswith(b"\n"):
            before = chunk[-2:-1] if len(chunk) > 1 else last
            return length + len(chunk) - 1 - (1 if before == b"\r" else 0)
        length, last = length + len(chunk), chunk[-1:]
    return length


def lines(stream: BinaryIO, first: int = 1) -> Iterator[tuple[int, str | None, str | None]]:
    """Exactly ``iter_lines(stream)`` of cards/tests/feed_reader.py (same numbers, texts and errors: a test checks
    it), about twice as fast: blocks are split into lines in C. ``first``: the number of the
    stream's first line, when it starts further into the file (then a byte order mark there is
    not dropped)."""
    number = first - 1
    carry = b""
    skipped, head, tail = -1, b"", b""  # skipped >= 0: the bytes so far of a line too long to keep
    while block := stream.read(_BLOCK):
        if skipped >= 0:
            end = block.find(b"\n")
            if end < 0:
                skipped, tail = skipped + len(block), block[-1:]
                continue
            before = block[end - 1 : end] if end else tail
            size = skipped + end - (1 if before == b"\r" else 0) - (len(BOM) if number == 0 and head.startswith(BOM) else 0)
            number += 1
            yield number, None, too_long(size)
            skipped, block = -1, block[end + 1 :]
        parts = (carry + block if carry else block).split(b"\n")
        carry = parts.pop()
        for raw in parts:  # one_line(raw, number, ended=True), inlined: this is the hot loop
            number += 1
            if raw[-1:] == b"\r":
                raw = raw[:-1]
            if number == 1 and raw.startswith(BOM):
                raw = raw[len(BOM) :]
            if len(raw) > MAX_LINE_BYTES:
                yield number, None, too_long(len(raw))
            elif raw.strip(b" \t\r"):
                try:
                    yield number, raw.decode("utf-8"), None
                except UnicodeDecodeError as exc:
                    yield number, None, not_utf8(raw, exc)
        if len(carry) > MAX_LINE_BYTES + len(BOM) + 2:  # too long whatever follows: stop keeping it
            skipped, head, tail, carry = len(carry), carry[: len(BOM)], carry[-1:], b""
    if skipped >= 0:
        yield number + 1, None, too_long(skipped - (len(BOM) if number == 0 and head.startswith(BOM) else 0))
    elif carry:
        yield from one_line(carry, number + 1, ended=False)


def one_line(raw: bytes, number: int, *, ended: bool) -> Iterator[tuple[int, str | None, str | None]]:
    """What ``lines`` gives for the line ``raw`` (without its line feed; ``ended``: it had
    one): nothing for a blank line."""
    if number == 1 and raw.startswith(BOM):
        raw = raw[len(BOM) :]
    if ended and raw[-1:] == b"\r":
        raw = raw[:-1]
    if len(raw) > MAX_LINE_BYTES:
        yield number, None, too_long(len(raw))
    elif raw.strip(b" \t\r"):
        try:
            yield number, raw.decode("utf-8"), None
        except UnicodeDecodeError as exc:
            yield number, None, not_utf8(raw, exc)


def _text(raw: bytes, number: int, *, ended: bool) -> str | None:
    if number == 1 and raw.startswith(BOM):
        raw = raw[len(BOM) :]
    if ended and raw.endswith(b"\r"):
        raw = raw[:-1]
    if len(raw) > MAX_LINE_BYTES:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def raw_lines(stream: BinaryIO, numbers: Iterable[int]) -> Iterator[tuple[int, bytes, bool]]:
    """``(number, raw line, cut)`` for the given ascending line numbers: the line without
    its line break (and without the byte order mark on line 1), cut after
    ``MAX_REJECT_COPY`` bytes (then ``cut`` is true)."""
    stream.seek(0)
    number = 0
    for wanted in numbers:
        while True:
            raw = stream.readline(MAX_REJECT_COPY + 2)
            if not raw:
                return
            number += 1
            skipped = 0
            if not raw.endswith(b"\n"):
                while chunk := stream.readline(_BLOCK):
                    skipped += len(chunk.rstrip(b"\r\n"))
                    if chunk.endswith(b"\n"):
                        break
            if number == wanted:
                break
        if number == 1 and raw.startswith(BOM):
            raw = raw[len(BOM) :]
        if raw.endswith(b"\n"):
            raw = raw[:-2] if raw.endswith(b"\r\n") else raw[:-1]
        cut = skipped > 0 or len(raw) > MAX_REJECT_COPY
        yield wanted, raw[:MAX_REJECT_COPY], cut


class Progress:
    """A one-line progress bar on a terminal (``stream`` is usually ``sys.stderr``)."""

    def __init__(self, stream, name: str, total: int | None) -> None:
        self.stream, self.name, self.total = stream, name, total
        self._shown = ""

    def show(self, phase: str, done: int | None = None, lines: int | None = None) -> None:
        parts = [self.name, phase]
        if done is not None and self.total:
            share = min(1.0, done / self.total)
            bar = "#" * int(share * 20)
            parts.append(f"[{bar:<20}] {share:4.0%}")
        if lines is not None:
            parts.append(f"{lines:,} lines")
        text = "  ".join(parts)
        if text != self._shown:
            self.stream.write("\r" + text.ljust(len(self._shown)))
            self.stream.flush()
            self._shown = text

    def close(self) -> None:
        if self._shown:
            self.stream.write("\r" + " " * len(self._shown) + "\r")
            self.stream.flush()
            self._shown = ""
