"""The native reader of plain usage lines (``usage_span.c``), loaded with ctypes. Django-free.

``read(data, first, limits)`` reads a span of whole lines (``source.Span``) and returns, for
the lines it accepts (plain usage lines whose time is inside the import's ``limits``), what
``blocks.parse_span`` would write for them, and the place of every other line ("declined")
for Python to read; ``None`` when the library is not built or the
span does not fit its buffers. ``make setup`` builds the library (``cc``, no other
dependency: see docs/feed-import.md); without it the import reads every line in Python, the
same way, about seven times slower.
"""

from __future__ import annotations

import ctypes
import os
import threading
from array import array
from dataclasses import dataclass
from pathlib import Path

from .limits import FeedLimits

#: ``USAGE_SPAN_LIBRARY`` names another build of it (``make sanitize``: one under the sanitizers).
LIBRARY = Path(os.environ.get("USAGE_SPAN_LIBRARY") or Path(__file__).with_name("_usage_span.so"))
#: USAGE_SPAN_VERSION in usage_span.c: a library of another version is not used.
VERSION = 2
_INT32 = "i"
_INT64 = "q"


class _Out(ctypes.Structure):
    """``span_out`` in usage_span.c."""

    _fields_ = [
        ("keys", ctypes.c_void_p), ("keys_cap", ctypes.c_size_t), ("keys_len", ctypes.c_size_t),
        ("records", ctypes.c_void_p), ("records_cap", ctypes.c_size_t), ("records_len", ctypes.c_size_t),
        ("numbers", ctypes.c_void_p), ("numbers_cap", ctypes.c_size_t), ("numbers_len", ctypes.c_size_t),
        ("lines", ctypes.c_void_p), ("newest", ctypes.c_void_p), ("newest_at", ctypes.c_void_p),
        ("newest_balance", ctypes.c_void_p), ("declined", ctypes.c_void_p),
        ("line_cap", ctypes.c_int64), ("accepted", ctypes.c_int64), ("newest_count", ctypes.c_int64),
        ("declined_count", ctypes.c_int64),
        ("at_earliest", ctypes.c_char * 20), ("at_latest", ctypes.c_char * 20),
    ]


def _load():
    try:
        library = ctypes.CDLL(str(LIBRARY))
        size, version = library.usage_span_out_size, library.usage_span_version
    except (OSError, AttributeError):  # not built, or built from an older source
        return None
    size.restype, version.restype = ctypes.c_size_t, ctypes.c_int
    if version() != VERSION or size() != ctypes.sizeof(_Out):  # built from another version of the source
        return None
    function = library.usage_span
    function.argtypes = [ctypes.c_char_p, ctypes.c_int64, ctypes.c_int64, ctypes.POINTER(_Out)]
    function.restype = ctypes.c_int
    return function


_usage_span = _load()


def available() -> bool:
    return _usage_span is not None


@dataclass(frozen=True)
class NativeSpan:
    lines: list[int]  # the line numbers of the accepted lines
    numbers: list[str]  # their card numbers
    key_copy: bytes  # Block.key_copy of the accepted lines
    record_copy: bytes  # Block.record_copy
    newest: list[int]  # Block.newest, newest_at, newest_balance
    newest_at: str
    newest_balance: list[int]
    declined: list[tuple[int, int, int, bool]]  # number, start, end (before the line feed), ended


class _Buffers:
    """The output buffers, kept between calls and grown when a span needs more."""

    def __init__(self) -> None:
        self.lines = self.bytes = 0

    def fit(self, data: bytes, lines: int) -> _Out:
        if lines > self.lines or len(data) > self.bytes:
            self.lines, self.bytes = max(lines, self.lines), max(len(data), self.bytes)
            count = self.lines
            self.keys = array("B", bytes(self.bytes + 40 * count))  # id (from the line), tab, digest, line feed
            self.records = array("B", bytes(2 * self.bytes + 64 * count))  # ``%`` doubled, UTC time, ``%d``
            self.numbers = array("B", bytes(18 * count))
            self.newest_at = array("B", bytes(26 * count))
            self.line_numbers, self.newest, self.balances = (array(_INT32, bytes(4 * count)) for _ in range(3))
            self.declined = array(_INT64, bytes(32 * count))
        address = array.buffer_info
        return _Out(
            keys=address(self.keys)[0], keys_cap=len(self.keys),
            records=address(self.records)[0], records_cap=len(self.records),
            numbers=address(self.numbers)[0], numbers_cap=len(self.numbers),
            lines=address(self.line_numbers)[0], newest=address(self.newest)[0],
            newest_at=address(self.newest_at)[0], newest_balance=address(self.balances)[0],
            declined=address(self.declined)[0], line_cap=self.lines,
        )


_local = threading.local()  # one set of buffers per thread


def read(data: bytes, first: int, limits: FeedLimits) -> NativeSpan | None:
    """The span ``data`` (whole lines; the first is line ``first`` of the file), read natively
    with the import's ``limits``."""
    if _usage_span is None:
        return None
    buffers = getattr(_local, "buffers", None)
    if buffers is None:
        buffers = _local.buffers = _Buffers()
    out = buffers.fit(data, data.count(b"\n") + 1)
    out.at_earliest, out.at_latest = limits.earliest_text.encode("ascii"), limits.latest_text.encode("ascii")
    if _usage_span(data, len(data), first, ctypes.byref(out)) != 0:
        return None
    accepted, newest = out.accepted, out.newest_count
    numbers = memoryview(buffers.numbers)[: out.numbers_len - 1].tobytes().decode("ascii") if accepted else ""
    declined = buffers.declined[: 4 * out.declined_count].tolist()
    return NativeSpan(
        lines=buffers.line_numbers[:accepted].tolist(),
        numbers=numbers.split("\n") if accepted else [],
        key_copy=memoryview(buffers.keys)[: out.keys_len].tobytes(),
        record_copy=memoryview(buffers.records)[: out.records_len].tobytes(),
        newest=buffers.newest[:newest].tolist(),
        newest_at=memoryview(buffers.newest_at)[: 26 * newest - 1].tobytes().decode("ascii") if newest else "",
        newest_balance=buffers.balances[:newest].tolist(),
        declined=[
            (declined[i], declined[i + 1], declined[i + 2], bool(declined[i + 3])) for i in range(0, len(declined), 4)
        ],
    )
