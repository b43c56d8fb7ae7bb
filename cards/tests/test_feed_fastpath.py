"""The importer's fast reading of usage lines never disagrees with parse_line: on valid lines
and on mutations of them, every answer it gives equals ``content.values(parse_line(text))``,
and it does answer for the usual lines (else it would be no faster). Each of its two stages
(the typed msgspec one and the general one) is checked on its own. No database."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime

import pytest

from cards.feed import content
from cards.feed.fastpath import _general, _typed, usage_line
from cards.feed.limits import FeedLimits
from cards.feed.parsing import FeedLineError, parse_line

#: The limits of an import a few days after the lines' times (FEED.md: at most 24 hours ahead).
LIMITS = FeedLimits(datetime(2026, 11, 26, 3, 0, tzinfo=UTC))

NUMBER = "JW7A0000000000001"

BASE = {
    "ride": {"kind": "ride", "amount": -580, "balance": 4210, "from": "大阪", "to": "京都"},
    "bus": {"kind": "bus", "amount": -230, "balance": 3980, "operator": "大阪シティバス"},
    "bus_bare": {"kind": "bus", "amount": -230, "balance": 3980},
    "purchase": {"kind": "purchase", "amount": -540, "balance": 3670, "merchant": "駅ナカ売店 大阪駅"},
    "charge_card": {
        "kind": "charge", "amount": 3000, "balance": 6670,
        "payment": {"method": "card", "brand": "VISA", "last4": "4242"},
    },
    "charge_cash": {"kind": "charge", "amount": 1000, "balance": 7670, "payment": {"method": "cash"}, "place": "大阪駅"},
    "point_charge": {"kind": "point_charge", "amount": 500, "balance": 8170},
    "adjustment": {"kind": "adjustment", "amount": 0, "balance": 8170, "note": "運賃訂正"},
}


def usage(base: str, changes: dict | None = None, **named) -> dict:
    line = {"type": "usage", "id": "U-20261120-00000001", "icoca_number": NUMBER, "at": "2026-11-20T08:12:33+09:00"}
    line.update(BASE[base])
    for name, value in {**(changes or {}), **named}.items():
        if value is _DROP:
            line.pop(name, None)
        else:
            line[name] = value
    return line


_DROP = object()


def agree(text: str) -> tuple[str, ...] | None:
    """The fast answer, after checking it against parse_line and content."""
    fast = usage_line(text, LIMITS)
    try:
        slow = content.values(parse_line(text, LIMITS))
    except FeedLineError:
        slow = None
    for stage in (_typed, _general):
        found = stage(text, LIMITS) if text[:1] == "{" else None
        if found is not None:
            assert found == (slow, content.content_text(slow)), (stage.__name__, text)
    if fast is None:
        return None
    values, written = fast
    assert values == slow, text
    assert written == content.content_text(slow), text
    return values


@pytest.mark.parametrize("kind", sorted(BASE))
def test_usual_lines_take_the_fast_path(kind):
    for ascii_only in (False, True):  # raw UTF-8, and every Japanese character escaped
        text = json.dumps(usage(kind), ensure_ascii=ascii_only)
        assert agree(text) is not None
        assert _typed(text, LIMITS) is not None  # the quicker stage


@pytest.mark.parametrize("text", [
    # duplicate keys (msgspec keeps the last one): the quotes give them away
    json.dumps(usage("ride")).replace('"kind"', '"kind": "bus", "kind"', 1),
    json.dumps(usage("ride")).replace('"amount"', '"amount": 1, "amount"', 1),
    json.dumps(usage("ride")).replace('"amount"', '"amount": null, "amount"', 1),
    json.dumps(usage("ride")).replace('"from"', '"from": "x", "from"', 1),
    json.dumps(usage("charge_card")).replace('"brand"', '"brand": "JCB", "brand"', 1),
    json.dumps(usage("charge_card")).replace('"payment"', '"payment": null, "payment"', 1),
    json.dumps(usage("ride")).replace('"from"', '"fr\\u006fm": "x", "from"', 1),
    # unknown fields: left to the general stage
    json.dumps(usage("ride", extra=1)),
    json.dumps(usage("ride", extra="x")),
    json.dumps(usage("charge_card", payment={"method": "card", "brand": "VISA", "last4": "4242", "x": 1})),
    # quotes inside values (escaped) do not count
    json.dumps(usage("ride", {"from": 'say "hi"'})).replace('"kind"', '"kind": "bus", "kind"', 1),
])
def test_the_typed_stage_leaves_duplicate_and_unknown_keys(text):
    assert _typed(text, LIMITS) is None
    agree(text)


def test_the_typed_stage_reads_escaped_quotes_and_backslashes():
    text = json.dumps(usage("purchase", merchant='売店 "駅ナカ" \\ 大阪'), ensure_ascii=False)
    assert _typed(text, LIMITS) is not None
    agree(text)


def test_feed_md_examples_take_the_fast_path():
    for line in (
        '{"type":"usage","id":"U-20261120-00000001","icoca_number":"JW7A0000000000001",'
        ' "at":"2026-11-20T08:12:33+09:00","kind":"ride","amount":-580,"balance":4210, "from":"大阪","to":"京都"}',
        '{"type":"usage","id":"U-20261120-00000003","icoca_number":"JW7A0000000000001",'
        ' "at":"2026-11-20T18:02:45+09:00","kind":"charge","amount":3000,"balance":6670,'
        ' "payment":{"method":"card","brand":"VISA","last4":"4242"}}',
    ):
        values = agree(line)
        assert values is not None and values[2].endswith("+00:00")


ODD_VALUES = [
    None, True, False, 0, -1, 1, 580.0, 1e3, "", " ", "\u3000", "\x1c", "\u00a0 ", "\u200b", "\t\n",
    "580", "x\x00y", "\ud800", "é", "JW7a0000000000001",
    2**31, -(2**31) - 1, 2**31 - 1, 20000, 20001, [], {}, {"method": "card"}, "card", "cash", "points",
    "2026-11-20T08:12:33Z", "2026-11-20T08:12:33.5+09:00", "2026-11-20T08:12+09:00", "2026-11-20T08:12:33",
    "2026-11-20T24:00:00+09:00", "2026-02-30T08:12:33+09:00", "2026-11-20T08:12:60+09:00",
    "2026-11-20T08:12:33+24:00", "2026-11-20T08:12:33+09:60", "2026-11-20T08:12:33-00:00",
    "0000-01-01T00:00:00+09:00", "0001-01-01T00:00:00+09:00", "9999-12-31T23:59:59-09:00",
    "2026-11-20t08:12:33+09:00", "2026-11-20T08:12:33z", "２０２６-11-20T08:12:33+09:00", "a" * 64, "a" * 65,
    "駅" * 100, "駅" * 101, "駅" * 200, "駅" * 201,
]
FIELDS = ["type", "id", "icoca_number", "at", "kind", "amount", "balance", "from", "to", "operator", "merchant",
          "payment", "place", "note"]


@pytest.mark.parametrize("kind", sorted(BASE))
@pytest.mark.parametrize("field", FIELDS)
def test_every_odd_value_agrees(kind, field):
    for value in [*ODD_VALUES, _DROP]:
        agree(json.dumps(usage(kind, {field: value}), ensure_ascii=False))
        agree(json.dumps(usage(kind, {field: value})))


@pytest.mark.parametrize("payment", [
    {"method": "card", "brand": "JCB", "last4": "0000"}, {"method": "card", "brand": "visa", "last4": "4242"},
    {"method": "card", "brand": "VISA", "last4": "424"}, {"method": "card", "brand": "VISA", "last4": 4242},
    {"method": "card", "brand": "VISA", "last4": "４２４２"}, {"method": "card", "brand": "VISA"},
    {"method": "cash", "brand": 5}, {"method": "points"}, {"method": None}, {}, {"method": "card", "last4": "4242"},
])
def test_charge_payments_agree(payment):
    agree(json.dumps(usage("charge_card", payment=payment)))


@pytest.mark.parametrize("text", [
    "", " ", "null", "[]", '"usage"', "{}", '{"type":"usage"}',
    "\ufeff" + json.dumps(usage("ride")),
    json.dumps(usage("ride")).replace('"kind"', '"kind":"bus","kind"', 1),  # a duplicate key
    json.dumps(usage("ride")).replace("-580", "NaN"),
    json.dumps(usage("ride")).replace("-580", "-5" + "0" * 5000),
    json.dumps(usage("ride")).replace("}", ', "extra": {"a": 1, "a": 2}}'),  # a duplicate key inside an unknown field
    json.dumps(usage("ride")).replace("}", ', "extra": [NaN]}'),
    json.dumps(usage("ride")).replace("}", ', "extra": ' + "[" * 5000 + "]" * 5000 + "}"),
    json.dumps(usage("ride")) + " x",
    "  " + json.dumps(usage("ride")) + "\t\r",
    json.dumps(usage("ride")).replace('"type"', '"\\u0074ype"'),
    json.dumps(usage("ride")).replace('"usage"', '"us\\u0061ge"'),
    json.dumps(usage("ride", {"from": "大阪\\t"})),
    json.dumps(usage("ride", {"from": "大阪\t", "to": "\\京都\n"})),  # escaped in the content text
    json.dumps(usage("ride", at="2026-11-20T08:12:33+05:30")),
    json.dumps(usage("ride", at="2026-01-01T05:59:59+09:00")),  # the UTC date is the day before
    json.dumps(usage("ride", at="0001-01-01T05:00:00+09:00")),

    json.dumps(usage("ride", merchant=5, note=None, payment="x")),  # fields of other kinds are ignored
    json.dumps({**usage("ride"), "type": "card"}),
    json.dumps(usage("ride")).replace('"balance": 4210', '"balance": 4210.0'),
])
def test_unusual_lines_agree(text):
    agree(text)


def test_random_mutations_agree():
    rng = random.Random(20261120)
    pieces = [*ODD_VALUES, "大阪", "ride", "bus", "purchase", "charge", "point_charge", "adjustment", -580, 3000]
    answered = 0
    for _ in range(4000):
        line = usage(rng.choice(sorted(BASE)))
        for _ in range(rng.randrange(0, 3)):
            line[rng.choice(FIELDS)] = rng.choice(pieces)
        answered += agree(json.dumps(line, ensure_ascii=rng.random() < 0.5)) is not None
    assert answered > 400  # the unchanged and harmless mutations still take the fast path
