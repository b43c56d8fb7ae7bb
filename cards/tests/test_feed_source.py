"""The quick scan for card lines numbers and reads lines exactly as feed_reader.iter_lines does, and
the reject file's reader gives back the raw lines. No database."""

from __future__ import annotations

import io
import json

import pytest

from cards.feed import source
from cards.feed.parsing import FeedLineError, parse_line
from cards.feed.validators import MAX_LINE_BYTES
from cards.tests.feed_reader import iter_lines


def card(number: str, **changes) -> str:
    line = {
        "type": "card", "icoca_number": number, "wester_id": "w-1", "issued_at": "2025-04-01T09:00:00+09:00",
        "device": "android", "status": "active", "replaces": None,
    }
    line.update(changes)
    return json.dumps(line, ensure_ascii=False)


USAGE = (
    '{"type":"usage","id":"U-1","icoca_number":"JW7A0000000000001","at":"2026-11-20T08:12:33+09:00",'
    '"kind":"charge","amount":3000,"balance":6670,"payment":{"method":"card","brand":"VISA","last4":"4242"}}'
)


def card_lines_by_iter_lines(data: bytes) -> list[tuple[int, str]]:
    found = []
    for number, text, _error in iter_lines(io.BytesIO(data)):
        if text is None:
            continue
        try:
            record = parse_line(text)
        except FeedLineError:
            continue
        if record.type == "card":
            found.append((number, text))
    return found


def card_lines_by_scan(data: bytes) -> list[tuple[int, str]]:
    found = []
    for number, text in source.card_line_candidates(io.BytesIO(data)):
        try:
            record = parse_line(text)
        except FeedLineError:
            continue
        if record.type == "card":
            found.append((number, text))
    return found


TRICKY = b"\n".join(
    [
        b"\xef\xbb\xbf" + card("JW7A0000000000001").encode(),  # a byte order mark on line 1
        USAGE.encode(),  # "card" as a payment method: a candidate, not a card
        b"",
        b"   \t",
        card("JW7A0000000000002").encode() + b"\r",  # CRLF
        card("JW7A0000000000003").replace('"card"', '"\\u0063ard"', 1).encode(),  # the type escaped
        card("JW7A0000000000004").replace('"type": "card"', '"type"  :\t"card"').encode(),
        b'{"type": "card", "icoca_number": "\x82\xa0"}',  # not UTF-8
        card("JW7A0000000000005", note="x" * MAX_LINE_BYTES).encode(),  # too long to be a record
        b"x" * (3 * MAX_LINE_BYTES),  # too long, no card
        card("JW7A0000000000006", nickname="仕事用").encode(),
        b'{"note": "\\"type\\": \\"card\\""}',
        card("JW7A0000000000007").encode(),  # the last line, without a line break
    ]
)


@pytest.mark.parametrize("block", [1 << 20, 7, 64, 1000, 4096])
def test_the_scan_finds_the_card_lines_iter_lines_finds(monkeypatch, block):
    monkeypatch.setattr(source, "_BLOCK", block)
    expected = card_lines_by_iter_lines(TRICKY)
    assert [n for n, _ in expected] == [1, 5, 6, 7, 11, 13]
    assert card_lines_by_scan(TRICKY) == expected
    assert card_lines_by_scan(TRICKY + b"\n") == card_lines_by_iter_lines(TRICKY + b"\n")


@pytest.mark.parametrize("block", [1 << 20, 300, 4096])
def test_the_scan_finds_a_card_line_among_payments_by_card(monkeypatch, block):
    """Blocks where every "card" is a payment method have no candidate; one card line, in any
    spelling of the type, makes its block looked at."""
    monkeypatch.setattr(source, "_BLOCK", block)
    usage = (USAGE + "\n").encode() * 40
    assert card_lines_by_scan(usage) == []
    compact = json.dumps(json.loads(card("JW7A0000000000009")), separators=(",", ":"))
    for line in (compact, card("JW7A0000000000009")):
        data = usage + line.encode() + b"\n" + usage
        assert card_lines_by_scan(data) == card_lines_by_iter_lines(data) == [(41, line)]


def test_the_scan_skips_a_file_with_no_line_breaks(monkeypatch):
    monkeypatch.setattr(source, "_BLOCK", 1000)
    data = card("JW7A0000000000001").encode() * 5000
    assert card_lines_by_scan(data) == card_lines_by_iter_lines(data) == []


LONG = MAX_LINE_BYTES + 5
LINE_CASES = [
    TRICKY,
    TRICKY + b"\n",
    b"",
    b"\n\n",
    b"\xef\xbb\xbf",
    b"\xef\xbb\xbf\n" + USAGE.encode(),
    b"\xef\xbb\xbf" + b"x" * LONG + b"\r\nnext",
    b"x" * LONG,
    b"\xef\xbb\xbf" + b"x" * LONG,
    b"x" * LONG + b"\r",
    b"x" * LONG + b"\r\n" + b"y" * LONG + b"\n" + b"z" * MAX_LINE_BYTES + b"\r\n" + b"w" * (MAX_LINE_BYTES + 1) + b"\n",
    b"x" * (MAX_LINE_BYTES - 1) + b"\r\r\n",
    b"a\rb\n \t\r\n\r\nc\r",
    b"ok\n\x82\xa0\n\xe3\x81\n\xef\xbb\xbfbom-not-first\n",
]


@pytest.mark.parametrize("block", [1 << 20, 1, 2, 3, 7, 4096, MAX_LINE_BYTES, MAX_LINE_BYTES + 3])
@pytest.mark.parametrize("case", range(len(LINE_CASES)))
def test_lines_is_iter_lines(monkeypatch, block, case):
    """In blocks of every size, a line too long starting and ending anywhere."""
    data = LINE_CASES[case]
    if block < 7 and len(data) > 1000:
        data = data.replace(b"x" * LONG, b"x" * 40).replace(b"y" * LONG, b"y" * 40)
        monkeypatch.setattr(source, "MAX_LINE_BYTES", 30)
        monkeypatch.setattr("cards.tests.feed_reader.MAX_LINE_BYTES", 30)
    monkeypatch.setattr(source, "_BLOCK", block)
    assert list(source.lines(io.BytesIO(data))) == list(iter_lines(io.BytesIO(data)))


@pytest.mark.parametrize("size", [1, 5, 64, 4096, MAX_LINE_BYTES, 1 << 21])
@pytest.mark.parametrize("block", [1 << 20, 3, 4096, MAX_LINE_BYTES + 3])
@pytest.mark.parametrize("case", range(len(LINE_CASES)))
def test_the_lines_of_the_spans_are_iter_lines(monkeypatch, size, block, case):
    """Spans of any size, read in blocks of any size, hold every line once, in order, with
    its number; a line too long to keep is a span of its own."""
    data = LINE_CASES[case]
    monkeypatch.setattr(source, "_BLOCK", block)
    spans = list(source.spans(io.BytesIO(data), size))
    assert [line for span in spans for line in span.lines()] == list(iter_lines(io.BytesIO(data)))
    assert all(len(span.data) <= max(size, block) + block + MAX_LINE_BYTES + 5 for span in spans)


def test_spans_end_after_the_size_at_a_line_break():
    data = b"".join(b"%d\n" % n for n in range(1000))  # 3890 bytes
    spans = list(source.spans(io.BytesIO(data), 1000))
    assert len(spans) == 4 and b"".join(span.data for span in spans) == data
    for span in spans[:-1]:
        assert span.data.find(b"\n", 1000 - 1) == len(span.data) - 1
    assert [span.first for span in spans] == [1, *(1 + sum(s.data.count(b"\n") for s in spans[:i]) for i in (1, 2, 3))]


def test_raw_lines_gives_the_lines_asked_for():
    data = b"\xef\xbb\xbfone\r\ntwo\n\nfour\n" + b"x" * (source.MAX_REJECT_COPY + 10) + b"\nsix"
    got = list(source.raw_lines(io.BytesIO(data), iter([1, 2, 4, 5, 6])))
    assert [(n, raw[:10], cut) for n, raw, cut in got] == [
        (1, b"one", False), (2, b"two", False), (4, b"four", False), (5, b"x" * 10, True), (6, b"six", False)
    ]
    assert len(got[3][1]) == source.MAX_REJECT_COPY


def test_open_source_refuses_what_cannot_be_read(tmp_path):
    with pytest.raises(source.FeedUnreadable, match="No such file"):
        source.open_source(str(tmp_path / "missing.jsonl"))
    with pytest.raises(source.FeedUnreadable, match="directory"):
        source.open_source(str(tmp_path))


def test_standard_input_is_copied_so_it_can_be_read_again():
    stream = source.open_source("-", stdin=io.BytesIO(b"line\n"))
    assert stream.read() == b"line\n"
    stream.seek(0)
    assert stream.read() == b"line\n"
