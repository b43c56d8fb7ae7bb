"""The native reader of usage lines (cards/feed/usage_span.c) never disagrees with Python: for
every span, the block ``parse_span`` builds with it equals the block built in Python alone
(``blocks._python_block``: ``fastpath`` and ``parse_line``), on the usual lines, on the odd
values and mutations the fast path is tested with, on byte-level mutations and on spans that
mix them. And it does read the usual lines itself (else it would be no faster). No database."""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import pytest

from cards.feed import blocks, native
from cards.feed.source import Span
from cards.tests.test_feed_fastpath import _DROP, BASE, FIELDS, LIMITS, ODD_VALUES, usage


def span_of(*lines: str | bytes, first: int = 1, end: bytes = b"\n") -> Span:
    raw = [line if isinstance(line, bytes) else line.encode("utf-8", "surrogatepass") for line in lines]
    return Span(first, b"\n".join(raw) + end)


def agree(span: Span) -> blocks.Block:
    """``parse_span``'s block equals the one built in Python alone, and every line the C reader
    accepts it reads as Python does. The C reader is called directly for that: a span holding
    one usage line only Python reads is read whole in Python by ``parse_span``, so comparing the
    blocks alone would often compare Python with Python."""
    block = blocks.parse_span(span, LIMITS)
    python = blocks._python_block(span, LIMITS)
    assert block == python, span.data[:500]
    found = native.read(span.data, span.first, LIMITS)
    if found is not None:
        natively = by_line(found.lines, found.key_copy, found.record_copy, found.numbers)
        in_python = by_line(python.lines, python.key_copy, python.record_copy, python.numbers)
        assert natively == {line: in_python.get(line) for line in natively}, span.data[:500]
    return block


def by_line(lines: list[int], key_copy: bytes, record_copy: bytes, numbers: list[str]) -> dict[int, tuple]:
    """Each usage line read: its line number -> (key row, record row, card number)."""
    keys, records = key_copy.split(b"\n")[:-1], record_copy.split(b"\n")[:-1]
    assert len(keys) == len(records) == len(numbers) == len(lines)
    return {line: (key, record, number) for line, key, record, number in zip(lines, keys, records, numbers, strict=True)}


def lines_read_natively(span: Span) -> int:
    found = native.read(span.data, span.first, LIMITS)
    return 0 if found is None else len(found.lines)


#: Of the random spans, at least this many hold lines the C reader reads itself.
MOST_SPANS = 150


def text(kind: str, ascii_only: bool = False, **changes) -> str:
    return json.dumps(usage(kind, changes), ensure_ascii=ascii_only)


def test_the_library_is_built():
    """``make setup`` builds it; without it every line is read in Python."""
    assert native.available()


def test_a_library_of_another_layout_is_not_used(monkeypatch):
    """A library built from another version of the source would read and write memory by
    another layout: it is left unused (and every line read in Python)."""
    class Other(native._Out):
        _fields_ = [("extra", native.ctypes.c_int64)]

    monkeypatch.setattr(native, "_Out", Other)
    assert native._load() is None


def test_a_library_of_another_version_is_not_used(monkeypatch):
    """A library built before the limits (version 1, no usage_span_version) would accept any
    time: it is left unused, as one of a later version would be."""
    monkeypatch.setattr(native, "VERSION", native.VERSION + 1)
    assert native._load() is None


def test_a_library_built_before_the_limits_is_not_used(tmp_path, monkeypatch):
    """The source of version 1 had no usage_span_version (and the same layout but for the
    limits): a library built from it is refused, though it loads."""
    source = Path(native.__file__).with_name("usage_span.c").read_text()
    old = source.replace("int usage_span_version(void) { return USAGE_SPAN_VERSION; }", "")
    assert old != source
    (tmp_path / "old.c").write_text(old)
    library = tmp_path / "old.so"
    subprocess.run(["cc", "-O0", "-fPIC", "-shared", "-o", str(library), str(tmp_path / "old.c")], check=True)
    monkeypatch.setattr(native, "LIBRARY", library)
    assert native._load() is None


@pytest.mark.parametrize("kind", sorted(BASE))
def test_usual_lines_are_read_natively(kind):
    lines = [text(kind), json.dumps(usage(kind), ensure_ascii=False, separators=(",", ":")),
             json.dumps(usage(kind), ensure_ascii=False, indent=None).replace(": ", ":   ")]
    span = span_of(*lines)
    found = native.read(span.data, span.first, LIMITS)
    assert found is not None and found.declined == [] and len(found.lines) == 3
    assert agree(span).read == 3


@pytest.mark.parametrize("kind", sorted(BASE))
def test_lines_with_escapes_are_read_natively(kind):
    """``json.dumps``'s default escapes every non-ASCII character: such a feed keeps the
    native speed."""
    span = span_of(text(kind, ascii_only=True), text(kind, ascii_only=True, id='U-\\"%\t/x'))
    found = native.read(span.data, span.first, LIMITS)
    assert found is not None and found.declined == []
    agree(span)


# JSON string bodies as the line holds them (escapes unread).
ESCAPED = [
    r"tab\there", r"line\nbreak", r"cr\rx", r"back\\slash", r"quote\"d", r"sl\/ash", r"\b\f", r"\u3000\u3000",
    r"\u0009", r" \u000b ", r"\u001c", r"\u0085", r"\u00a0x", r"\ud83d\ude83 train", r"\uD83D\uDE83", r"\ud83d",
    r"\ude83", r"\ud83d\u0041", r"a\u0000b", r"\u00e9t\u00e9", r"\u004", r"\x41", "\\", r"50\u0025 off %",
    r"\u9kaa", r"\\u3000", r"\u0022", r"\u005c",
]


@pytest.mark.parametrize("value", ESCAPED)
def test_escaped_strings_agree(value):
    for name in ("id", "from", "merchant", "operator", "place", "note"):
        for kind in sorted(BASE):
            line = text(kind, ascii_only=True)
            if name in usage(kind):
                line = line.replace(json.dumps(usage(kind)[name]), f'"{value}"', 1)
            else:
                line = line.replace('"icoca_number"', f'"{name}": "{value}", "icoca_number"', 1)
            agree(span_of(line))


@pytest.mark.parametrize("kind", sorted(BASE))
def test_unknown_fields_and_fields_of_other_kinds_are_ignored_natively(kind):
    """FEED.md: unknown fields are ignored. A center that adds a field keeps the native speed."""
    own = {"ride": {"from", "to"}, "bus": {"operator"}, "purchase": {"merchant"}, "charge": {"payment", "place"},
           "point_charge": set(), "adjustment": {"note"}}[usage(kind)["kind"]]
    others = {"from": 1, "to": None, "operator": 5, "merchant": True, "place": None, "note": "x",
              "payment": {"method": "cash"}, "via": "JR神戸線"}
    lines = [
        text(kind, station_code="A12", gate=7, exit=True, late=False, note_x=None),
        text(kind, **{name: value for name, value in others.items() if name not in own}),
    ]
    span = span_of(*lines)
    found = native.read(span.data, span.first, LIMITS)
    assert found is not None and found.declined == []
    block = agree(span)
    assert block.key_copy.split(b"\t")[1][:32] == agree(span_of(text(kind))).key_copy.split(b"\t")[1][:32]


@pytest.mark.parametrize("extra", [
    '"x":1,"x":2', '"x":{}', '"x":[]', '"x":1.5', '"x":"a\\u0041"', '"x":NaN', '"x":-0', '"x":01',
    ",".join(f'"k{i}":{i}' for i in range(9)),  # more than the reader keeps: Python reads it
    '"x":"1","y":"2","x":"3"',
])
def test_unusual_unknown_fields_agree(extra):
    for kind in sorted(BASE):
        line = text(kind, ascii_only=True)
        agree(span_of(line[:-1] + "," + extra + "}"))


@pytest.mark.parametrize("kind", sorted(BASE))
@pytest.mark.parametrize("field", FIELDS)
def test_every_odd_value_agrees(kind, field):
    for value in [*ODD_VALUES, _DROP]:
        for ascii_only in (False, True):
            agree(span_of(json.dumps(usage(kind, {field: value}), ensure_ascii=ascii_only)))


def test_times_in_utc_across_days_months_and_years():
    times = [
        "2026-01-01T05:59:59+09:00", "2026-03-01T00:00:00+09:00", "2024-03-01T08:00:00+09:00",
        "2024-02-29T23:00:00-05:00", "2026-12-31T20:00:00-05:00", "2026-11-20T08:12:33Z",
        "2026-11-20T08:12:33-00:00", "2026-11-20T08:12:33+00:00", "2026-11-20T23:59:59-23:00",
        "2026-11-20T00:00:00+23:00", "2025-02-29T08:00:00+09:00", "2100-02-29T08:00:00+09:00",
        "2000-02-29T08:00:00+09:00", "0002-01-01T00:00:00+09:00", "9998-12-31T23:59:59-09:00",
        "0001-01-01T05:00:00+09:00", "9999-12-31T23:00:00-09:00",
    ]
    block = agree(span_of(*(text("ride", at=at, id=f"U-{i}") for i, at in enumerate(times))))
    assert block.read == len(times)


def test_newest_line_of_each_card_and_ties():
    other = "JW7A0000000000002"
    lines = [
        text("ride", id="a", at="2026-11-20T08:00:00+09:00", balance=100),
        text("ride", id="b", at="2026-11-20T07:00:00+09:00", balance=200),  # older: not the newest
        text("ride", id="c", icoca_number=other, at="2026-11-20T08:00:00+09:00", balance=300),
        text("ride", id="d", at="2026-11-19T23:00:00Z", balance=400),  # the same time as "a": the later line
        text("ride", id="e", icoca_number=other, at="2026-11-20T06:00:00+09:00", balance=500),
    ]
    block = agree(span_of(*lines))
    assert list(block.newest_lines()) == [(3, "2026-11-19T23:00:00+00:00", 400), (2, "2026-11-19T23:00:00+00:00", 300)]


def test_digests_of_every_length():
    """The C SHA-256 against hashlib, across the 55/56/64-byte padding boundaries."""
    agree(span_of(*(text("purchase", id=f"U-{n}", merchant="x" * n) for n in range(1, 201))))
    agree(span_of(*(text("purchase", id=f"U-{n}", merchant="駅" * n) for n in range(1, 201))))


def test_percent_signs_are_doubled_for_the_card_id():
    block = agree(span_of(text("purchase", id="U-100%", merchant="50% off %d %s %%")))
    assert block.record_copy % (42,) == (
        b"U-100%\t2026-11-19T23:12:33+00:00\tpurchase\t-540\t3670\t\t\t\t50% off %d %s %%\t\t\t\t\t\t42\n"
    )


@pytest.mark.parametrize("lines, end", [
    (["", "   ", "\t\r"], b"\n"),  # blank lines are not read
    (["{}"], b""),  # no line break at the end
    ([b"\xef\xbb\xbf" + text("ride").encode()], b"\n"),  # a byte order mark on line 1
    ([text("ride") + "\r", text("bus") + "\r"], b"\n"),  # CRLF
    ([text("ride") + "\r"], b""),  # a carriage return on the last line, unbroken: kept
    ([text("ride") + " "], b"\n"),
    ([b'{"type":"usage","id":"\xff"}'], b"\n"),  # not UTF-8
    ([b'{"type":"usage","id":"\xed\xa0\x80"}'], b"\n"),  # an encoded surrogate
    ([b'{"type":"usage","id":"\xc0\xaf"}'], b"\n"),  # an overlong form
    ([text("ride", id="x" * 20000)], b"\n"),  # longer than the fast path reads
    (['{"type":"card","icoca_number":"JW7A0000000000001"}', text("ride"), "not json", text("bus")], b"\n"),
])
def test_line_breaks_blanks_and_other_lines(lines, end):
    agree(span_of(*lines, end=end))
    agree(span_of(*lines, end=end, first=7))


def test_a_usage_line_only_python_reads_keeps_file_order():
    unusual = text("ride", id="b", at="2026-11-20T08:12:33.5+09:00")  # a fractional second
    block = agree(span_of(text("ride", id="a"), unusual, text("ride", id="c")))
    assert [key.split(b"\t")[0] for key in block.key_copy.splitlines()] == [b"a", b"b", b"c"]


def test_random_mutations_agree():
    rng = random.Random(20261126)
    pieces = [*ODD_VALUES, "大阪", "ride", "bus", "purchase", "charge", "point_charge", "adjustment", -580, 3000]
    spans_read_natively = 0
    for _ in range(200):
        lines = []
        for _ in range(rng.randrange(1, 30)):
            line = usage(rng.choice(sorted(BASE)), id=f"U-{rng.randrange(10**6)}")
            for _ in range(rng.randrange(0, 3)):
                line[rng.choice(FIELDS)] = rng.choice(pieces)
            for _ in range(rng.randrange(0, 2)):
                line[rng.choice(["extra", "x", "station_code", "FROM"])] = rng.choice(pieces)
            lines.append(json.dumps(line, ensure_ascii=rng.random() < 0.3))
        span = span_of(*lines)
        agree(span)
        spans_read_natively += lines_read_natively(span) > 0
    assert spans_read_natively >= MOST_SPANS, spans_read_natively  # the C reader was compared, not skipped


def test_random_byte_mutations_agree():
    rng = random.Random(1126)
    spans_read_natively = 0
    alphabet = [b'"', b"\\", b"{", b"}", b",", b":", b" ", b"\t", b"\r", b"0", b"9", b"-", b".", b"e", b"%",
                b"n", b"\xe9", b"\x80", b"\xe3\x81", b"\x00", b"\x1f", b"\x7f", "駅".encode()]
    for _ in range(300):
        lines = []
        for _ in range(rng.randrange(1, 20)):
            raw = bytearray(text(rng.choice(sorted(BASE)), ascii_only=rng.random() < 0.2).encode())
            for _ in range(rng.randrange(0, 4)):
                at, piece = rng.randrange(len(raw) + 1), rng.choice(alphabet)
                operation = rng.randrange(3)
                if operation == 0:
                    raw[at:at] = piece
                elif operation == 1:
                    del raw[at : at + rng.randrange(1, 4)]
                else:
                    raw[at : at + len(piece)] = piece
            lines.append(bytes(raw).replace(b"\n", b" "))
        span = span_of(*lines, end=rng.choice([b"\n", b"", b"\r\n"]))
        agree(span)
        spans_read_natively += lines_read_natively(span) > 0
    assert spans_read_natively >= MOST_SPANS, spans_read_natively
