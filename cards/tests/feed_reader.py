"""iter_lines: the lines of a feed file, read one at a time from a binary stream in constant
memory: the plain reference that ``cards.feed.source`` (which reads a file in spans of whole
lines) is tested against, line number for line number."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from cards.feed.validators import BOM, MAX_LINE_BYTES, not_utf8, too_long

_CHUNK = 64 * 1024
_BLANK = b" \t\r"


def iter_lines(stream: BinaryIO) -> Iterator[tuple[int, str | None, str | None]]:
    """Yield ``(line_number, text, error)`` for each line of a JSON Lines feed.

    Exactly one of ``text`` and ``error`` is set. ``text`` is the line without its line break
    (``\\n`` or ``\\r\\n``). ``error`` is the reason for a line that cannot be read as text: not
    valid UTF-8, or longer than ``MAX_LINE_BYTES`` (such a line is skipped without keeping it
    in memory, so a huge file, or one with no line breaks at all, is read in constant memory).

    Line numbers count every line of the file, from 1. A UTF-8 byte order mark at the start
    of the file is dropped. Blank lines (empty, or only spaces, tabs and ``\\r``) are skipped:
    they are not records and are neither yielded nor counted as read, but they keep their
    number, so the numbers that are yielded are those an editor shows.
    Works with any binary stream that has ``readline(size)``, including ``sys.stdin.buffer``.
    """
    number = 0
    while True:
        limit = MAX_LINE_BYTES + len(b"\r\n") + (len(BOM) if number == 0 else 0)
        raw = stream.readline(limit)
        if not raw:
            return
        number += 1
        total, tail = len(raw), raw[-2:]
        if len(raw) == limit and not raw.endswith(b"\n"):  # over the limit: skip the rest
            while chunk := stream.readline(_CHUNK):
                total, tail = total + len(chunk), (tail + chunk)[-2:]
                if chunk.endswith(b"\n"):
                    break
        start = len(BOM) if number == 1 and raw.startswith(BOM) else 0
        end = 2 if tail == b"\r\n" else 1 if tail.endswith(b"\n") else 0
        size = total - start - end
        if size > MAX_LINE_BYTES:
            yield number, None, too_long(size)
            continue
        content = raw[start : len(raw) - end]
        if not content.strip(_BLANK):
            continue
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield number, None, not_utf8(content, exc)
            continue
        yield number, text, None
