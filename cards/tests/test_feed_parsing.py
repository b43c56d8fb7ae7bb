"""The feed's parsing layer (FEED.md): every example parses, every rule rejects with a reason
an operator can act on. Plain functions: no database, no Django."""

from __future__ import annotations

import io
import json
import tracemalloc
from dataclasses import FrozenInstanceError
from datetime import UTC, date, datetime

import pytest

from cards.feed.parsing import FeedLineError, parse_line
from cards.feed.records import (
    CardRecord,
    Destination,
    Fares,
    PassRecord,
    Payment,
    PointsRecord,
    RefundRecord,
    UsageRecord,
)
from cards.feed.validators import MAX_LINE_BYTES, show
from cards.tests.feed_canonical import canonical
from cards.tests.feed_reader import iter_lines

# FEED.md's examples use "JW7A00000000000001": 18 characters, which its own rule
# (^JW[0-9A-Z]{15}$, "17 in all" in DOMAIN.md) rejects. The rule wins; the examples are
# tested with a 17-character number, and test_feed_md_example_number_breaks_the_rule pins it.
NUMBER_IN_FEED_MD = "JW7A00000000000001"
NUMBER = "JW7A0000000000001"
WESTER_ID = "5f2c7e2a-1c1b-4e38-9d43-0e2b1f6f2a11"

# The examples of FEED.md verbatim, each record's two display lines joined.
CARD_IN_FEED_MD = (
    '{"type":"card","icoca_number":"JW7A00000000000001","wester_id":"5f2c7e2a-1c1b-4e38-9d43-0e2b1f6f2a11",'
    ' "issued_at":"2025-04-01T09:00:00+09:00","device":"android","status":"active","replaces":null}'
)
PASS_IN_FEED_MD = (
    '{"type":"pass","id":"P-2026-0000123","icoca_number":"JW7A00000000000001","kind":"commuter",'
    ' "from":"大阪","to":"三ノ宮","via":"JR神戸線","valid_from":"2026-10-01","valid_until":"2026-12-31",'
    ' "months":3,"price":36960,"fares":{"1":12970,"3":36960,"6":70040},'
    ' "paid_at":"2026-09-28T21:04:11+09:00","payment":{"method":"card","brand":"VISA","last4":"4242"}}'
)
RIDE_IN_FEED_MD = (
    '{"type":"usage","id":"U-20261120-00000001","icoca_number":"JW7A00000000000001",'
    ' "at":"2026-11-20T08:12:33+09:00","kind":"ride","amount":-580,"balance":4210,'
    ' "from":"大阪","to":"京都"}'
)
PURCHASE_IN_FEED_MD = (
    '{"type":"usage","id":"U-20261120-00000002","icoca_number":"JW7A00000000000001",'
    ' "at":"2026-11-20T12:40:02+09:00","kind":"purchase","amount":-540,"balance":3670,'
    ' "merchant":"駅ナカ売店 大阪駅"}'
)
CHARGE_IN_FEED_MD = (
    '{"type":"usage","id":"U-20261120-00000003","icoca_number":"JW7A00000000000001",'
    ' "at":"2026-11-20T18:02:45+09:00","kind":"charge","amount":3000,"balance":6670,'
    ' "payment":{"method":"card","brand":"VISA","last4":"4242"}}'
)
REFUND_IN_FEED_MD = (
    '{"type":"refund","id":"R-2026-0000045","icoca_number":"JW7A00000000000001",'
    ' "at":"2026-11-02T10:00:00+09:00","balance":3200,"pass_id":"P-2026-0000123","fee":220,'
    ' "total":27900,"destination":{"method":"card","brand":"VISA","last4":"4242"}}'
)
POINTS_IN_FEED_MD = (
    '{"type":"points","id":"W-2026-11-000777","wester_id":"5f2c7e2a-1c1b-4e38-9d43-0e2b1f6f2a11",'
    ' "at":"2026-11-06T03:00:00+09:00","kind":"earn","points":128,"category":"ride_count"}'
)
VERBATIM_EXAMPLES = [
    CARD_IN_FEED_MD,
    PASS_IN_FEED_MD,
    RIDE_IN_FEED_MD,
    PURCHASE_IN_FEED_MD,
    CHARGE_IN_FEED_MD,
    REFUND_IN_FEED_MD,
    POINTS_IN_FEED_MD,
]
CARD, PASS, RIDE, PURCHASE, CHARGE, REFUND, POINTS = (
    line.replace(NUMBER_IN_FEED_MD, NUMBER) for line in VERBATIM_EXAMPLES
)
FEED_EXAMPLES = [CARD, PASS, RIDE, PURCHASE, CHARGE, REFUND, POINTS]

# The kinds FEED.md describes without an example line.
BUS = (
    '{"type":"usage","id":"U-4","icoca_number":"JW7A0000000000001","at":"2026-11-21T07:00:00+09:00",'
    '"kind":"bus","amount":-230,"balance":6440,"operator":"西日本JRバス"}'
)
POINT_CHARGE = (
    '{"type":"usage","id":"U-5","icoca_number":"JW7A0000000000001","at":"2026-11-21T08:00:00+09:00",'
    '"kind":"point_charge","amount":500,"balance":6940}'
)
ADJUSTMENT = (
    '{"type":"usage","id":"U-6","icoca_number":"JW7A0000000000001","at":"2026-11-21T09:00:00+09:00",'
    '"kind":"adjustment","amount":-150,"balance":6790,"note":"精算機での乗り越し精算"}'
)

DROP = object()


def edit(line: str, changes: dict[str, object]) -> str:
    """The line with fields replaced or (DROP) removed; "payment.brand" reaches inside."""
    data = json.loads(line)
    for path, value in changes.items():
        *parents, last = path.split(".")
        target = data
        for parent in parents:
            target = target[parent]
        if value is DROP:
            del target[last]
        else:
            target[last] = value
    return json.dumps(data, ensure_ascii=False)


def reason(line: str) -> str:
    with pytest.raises(FeedLineError) as excinfo:
        parse_line(line)
    assert str(excinfo.value) == excinfo.value.reason
    return excinfo.value.reason


# -- the examples ---------------------------------------------------------------------------


@pytest.mark.parametrize("line", [*FEED_EXAMPLES, BUS, POINT_CHARGE, ADJUSTMENT])
def test_every_example_parses_and_its_canonical_form_is_json(line):
    record = parse_line(line)
    assert record.type == json.loads(line)["type"]
    assert json.loads(json.dumps(canonical(record))) == canonical(record)


def test_card_example():
    assert parse_line(CARD) == CardRecord(
        icoca_number=NUMBER,
        wester_id=WESTER_ID,
        issued_at=datetime(2025, 4, 1, 0, 0, tzinfo=UTC),
        device="android",
        status="active",
        replaces=None,
    )
    assert parse_line(CARD).key == NUMBER
    assert canonical(parse_line(CARD)) == {
        "type": "card",
        "icoca_number": NUMBER,
        "wester_id": WESTER_ID,
        "issued_at": "2025-04-01T00:00:00+00:00",
        "device": "android",
        "status": "active",
        "replaces": None,
    }


def test_pass_example():
    record = parse_line(PASS)
    assert record == PassRecord(
        id="P-2026-0000123",
        icoca_number=NUMBER,
        kind="commuter",
        from_station="大阪",
        to_station="三ノ宮",
        via="JR神戸線",
        valid_from=date(2026, 10, 1),
        valid_until=date(2026, 12, 31),
        months=3,
        price=36960,
        fares=Fares(one_month=12970, three_months=36960, six_months=70040),
        paid_at=datetime(2026, 9, 28, 12, 4, 11, tzinfo=UTC),
        payment=Payment(method="card", brand="VISA", last4="4242"),
    )
    assert record.key == "P-2026-0000123"
    assert record.fares.for_months(3) == 36960
    assert canonical(record)["fares"] == {"1": 12970, "3": 36960, "6": 70040}
    assert canonical(record)["valid_from"] == "2026-10-01"
    assert canonical(record)["from"] == "大阪"


def test_usage_examples():
    assert parse_line(RIDE) == UsageRecord(
        id="U-20261120-00000001",
        icoca_number=NUMBER,
        at=datetime(2026, 11, 19, 23, 12, 33, tzinfo=UTC),
        kind="ride",
        amount=-580,
        balance=4210,
        from_station="大阪",
        to_station="京都",
    )
    assert parse_line(PURCHASE) == UsageRecord(
        id="U-20261120-00000002",
        icoca_number=NUMBER,
        at=datetime(2026, 11, 20, 3, 40, 2, tzinfo=UTC),
        kind="purchase",
        amount=-540,
        balance=3670,
        merchant="駅ナカ売店 大阪駅",
    )
    assert parse_line(CHARGE) == UsageRecord(
        id="U-20261120-00000003",
        icoca_number=NUMBER,
        at=datetime(2026, 11, 20, 9, 2, 45, tzinfo=UTC),
        kind="charge",
        amount=3000,
        balance=6670,
        payment=Payment(method="card", brand="VISA", last4="4242"),
    )
    assert parse_line(RIDE).key == "U-20261120-00000001"


def test_usage_kinds_without_an_example():
    assert parse_line(BUS).operator == "西日本JRバス"
    assert parse_line(POINT_CHARGE).amount == 500
    assert parse_line(ADJUSTMENT).note == "精算機での乗り越し精算"


def test_refund_example():
    record = parse_line(REFUND)
    assert record == RefundRecord(
        id="R-2026-0000045",
        icoca_number=NUMBER,
        at=datetime(2026, 11, 2, 1, 0, tzinfo=UTC),
        balance=3200,
        pass_id="P-2026-0000123",
        fee=220,
        total=27900,
        destination=Destination(method="card", brand="VISA", last4="4242"),
    )
    assert record.key == "R-2026-0000045"


def test_points_example():
    record = parse_line(POINTS)
    assert record == PointsRecord(
        id="W-2026-11-000777",
        wester_id=WESTER_ID,
        at=datetime(2026, 11, 5, 18, 0, tzinfo=UTC),
        kind="earn",
        points=128,
        category="ride_count",
    )
    assert record.key == "W-2026-11-000777"


def test_records_are_frozen():
    record = parse_line(RIDE)
    with pytest.raises(FrozenInstanceError):
        record.amount = 0  # type: ignore[misc]


# -- what is accepted beyond the examples ----------------------------------------------------


@pytest.mark.parametrize(
    ("line", "changes", "attribute", "expected"),
    [
        pytest.param(CARD, {"replaces": "JW7A0000000000002"}, "replaces", "JW7A0000000000002", id="replaces"),
        *[
            pytest.param(CARD, {"device": device}, "device", device, id=f"device-{device}")
            for device in ("android", "iphone", "apple_watch")
        ],
        *[
            pytest.param(CARD, {"status": status}, "status", status, id=f"status-{status}")
            for status in ("active", "deposited", "suspended", "reissued", "refunded")
        ],
        pytest.param(CARD, {"wester_id": "x"}, "wester_id", "x", id="wester-id-1-char"),
        pytest.param(CARD, {"wester_id": "x" * 255}, "wester_id", "x" * 255, id="wester-id-255-chars"),
        pytest.param(
            CARD, {"icoca_number": "JW0123456789ABCDE"}, "icoca_number", "JW0123456789ABCDE", id="number"
        ),
        pytest.param(
            CARD,
            {"issued_at": "2025-04-01T00:00:00Z"},
            "issued_at",
            datetime(2025, 4, 1, tzinfo=UTC),
            id="time-Z",
        ),
        pytest.param(
            CARD,
            {"issued_at": "2025-03-31T19:00:00-05:00"},
            "issued_at",
            datetime(2025, 4, 1, 0, 0, tzinfo=UTC),
            id="time-negative-offset",
        ),
        pytest.param(
            CARD,
            {"issued_at": "2025-04-01T09:00:00.25+09:00"},
            "issued_at",
            datetime(2025, 4, 1, 0, 0, 0, 250000, tzinfo=UTC),
            id="time-fraction",
        ),
        pytest.param(
            CARD,
            {"issued_at": "2025-04-01T09:00+09:00"},
            "issued_at",
            datetime(2025, 4, 1, tzinfo=UTC),
            id="time-hh-mm",
        ),
        pytest.param(
            CARD,
            {"issued_at": "2025-04-01T05:00:00+09:00"},
            "issued_at",
            datetime(2025, 3, 31, 20, 0, tzinfo=UTC),
            id="time-previous-utc-day",
        ),
        pytest.param(PASS, {"via": None}, "via", None, id="via-null"),
        pytest.param(PASS, {"via": DROP}, "via", None, id="via-absent"),
        pytest.param(PASS, {"kind": "student"}, "kind", "student", id="student"),
        *[
            pytest.param(PASS, {"months": months, "valid_until": until}, "months", months, id=f"months-{months}")
            for months, until in ((1, "2026-10-31"), (3, "2026-12-31"), (6, "2027-03-31"))
        ],
        pytest.param(PASS, {"price": 1}, "price", 1, id="price-1"),
        pytest.param(PASS, {"price": 40000}, "price", 40000, id="price-not-the-fare"),
        pytest.param(
            PASS, {"valid_until": "2026-10-01"}, "valid_until", date(2026, 10, 1), id="one-day-validity"
        ),
        pytest.param(
            PASS, {"fares.12": 130000}, "fares", Fares(12970, 36960, 70040), id="extra-fare-ignored"
        ),
        pytest.param(PASS, {"payment": {"method": "cash"}}, "payment", Payment("cash"), id="pass-cash"),
        pytest.param(PASS, {"payment": {"method": "points"}}, "payment", Payment("points"), id="pass-points"),
        pytest.param(
            PASS,
            {"payment": {"method": "cash", "brand": "nope", "last4": 1}},
            "payment",
            Payment("cash"),
            id="card-details-ignored-for-cash",
        ),
        *[
            pytest.param(
                PASS, {"payment.brand": brand}, "payment", Payment("card", brand, "4242"), id=f"brand-{brand}"
            )
            for brand in ("JCB", "VISA", "MASTERCARD", "AMEX")
        ],
        pytest.param(
            PASS, {"payment.last4": "0000"}, "payment", Payment("card", "VISA", "0000"), id="last4-0000"
        ),
        pytest.param(RIDE, {"balance": 0}, "balance", 0, id="balance-0"),
        pytest.param(CHARGE, {"balance": 20000}, "balance", 20000, id="balance-20000"),
        pytest.param(RIDE, {"amount": -1}, "amount", -1, id="ride-minus-1"),
        pytest.param(
            RIDE, {"merchant": 5, "payment": "x", "note": None}, "merchant", None, id="ride-ignores-others"
        ),
        pytest.param(RIDE, {"from": " 大阪 "}, "from_station", " 大阪 ", id="text-kept-as-sent"),
        pytest.param(BUS, {"operator": DROP}, "operator", None, id="bus-operator-absent"),
        pytest.param(BUS, {"operator": None}, "operator", None, id="bus-operator-null"),
        pytest.param(BUS, {"operator": ""}, "operator", "", id="bus-operator-empty"),
        pytest.param(CHARGE, {"payment": {"method": "cash"}}, "payment", Payment("cash"), id="charge-cash"),
        pytest.param(CHARGE, {"place": "大阪駅 3F"}, "place", "大阪駅 3F", id="charge-place"),
        pytest.param(CHARGE, {"place": None}, "place", None, id="charge-place-null"),
        pytest.param(ADJUSTMENT, {"amount": 0}, "amount", 0, id="adjustment-0"),
        pytest.param(ADJUSTMENT, {"amount": 300}, "amount", 300, id="adjustment-positive"),
        pytest.param(REFUND, {"pass_id": None}, "pass_id", None, id="refund-no-pass"),
        pytest.param(REFUND, {"balance": 0}, "balance", 0, id="refund-balance-0"),
        pytest.param(REFUND, {"balance": 25000}, "balance", 25000, id="refund-balance-no-upper-bound"),
        pytest.param(REFUND, {"fee": 0}, "fee", 0, id="fee-0"),
        pytest.param(REFUND, {"fee": 330}, "fee", 330, id="fee-not-220"),
        pytest.param(REFUND, {"total": 0}, "total", 0, id="total-0"),
        pytest.param(
            REFUND,
            {"destination": {"method": "bank"}},
            "destination",
            Destination("bank"),
            id="destination-bank",
        ),
        pytest.param(POINTS, {"category": DROP}, "category", None, id="category-absent"),
        pytest.param(POINTS, {"category": None}, "category", None, id="category-null"),
        pytest.param(POINTS, {"kind": "charge", "points": -500}, "points", -500, id="points-charge"),
        pytest.param(POINTS, {"kind": "expire", "points": -10}, "points", -10, id="points-expire"),
        *[
            pytest.param(
                POINTS, {"kind": "adjust", "points": points}, "points", points, id=f"adjust-{points}"
            )
            for points in (-5, 0, 5)
        ],
        pytest.param(POINTS, {"points": 2**31 - 1}, "points", 2**31 - 1, id="int-max"),
        pytest.param(RIDE, {"id": "x" * 64}, "id", "x" * 64, id="id-64-chars"),
        pytest.param(RIDE, {"id": "あ" * 64}, "id", "あ" * 64, id="id-64-characters-not-bytes"),
        pytest.param(
            RIDE, {"unknown": {"nested": [1, None]}}, "id", "U-20261120-00000001", id="unknown-field"
        ),
    ],
)
def test_accepted(line, changes, attribute, expected):
    assert getattr(parse_line(edit(line, changes)), attribute) == expected


@pytest.mark.parametrize(
    "line",
    [
        pytest.param("  " + RIDE + " \t\r", id="surrounding-whitespace"),
        pytest.param(RIDE.replace(",", " , "), id="inner-whitespace"),
        pytest.param(json.dumps(json.loads(RIDE)), id="escaped-non-ascii"),
    ],
)
def test_json_spelling_does_not_matter(line):
    assert parse_line(line) == parse_line(RIDE)


# -- canonical(): same record or conflict ----------------------------------------------------


@pytest.mark.parametrize(
    ("line", "changes"),
    [
        pytest.param(RIDE, {"comment": "added later"}, id="unknown-field"),
        pytest.param(RIDE, {"at": "2026-11-19T23:12:33Z"}, id="same-instant-other-offset"),
        pytest.param(RIDE, {"at": "2026-11-20T08:12:33.000+09:00"}, id="zero-fraction"),
        pytest.param(RIDE, {"merchant": "ignored for a ride"}, id="field-of-another-kind"),
        pytest.param(CHARGE, {"place": None}, id="optional-null-vs-absent"),
        pytest.param(CARD, {"device": "android"}, id="identical"),
        pytest.param(RIDE, {"amount": -580, "balance": 4210}, id="same-values-rewritten"),
    ],
)
def test_canonical_ignores_what_is_not_content(line, changes):
    assert canonical(parse_line(edit(line, changes))) == canonical(parse_line(line))


def test_canonical_optional_absent_is_null():
    absent, null = edit(PASS, {"via": DROP}), edit(PASS, {"via": None})
    assert canonical(parse_line(absent)) == canonical(parse_line(null))


def test_canonical_ignores_key_order():
    reordered = json.dumps(dict(reversed(json.loads(PASS).items())), ensure_ascii=False)
    assert canonical(parse_line(reordered)) == canonical(parse_line(PASS))


def test_canonical_ignores_card_details_of_cash():
    with_details = edit(CHARGE, {"payment": {"method": "cash", "brand": "VISA", "last4": "4242"}})
    without = edit(CHARGE, {"payment": {"method": "cash"}})
    assert canonical(parse_line(with_details)) == canonical(parse_line(without))


@pytest.mark.parametrize(
    ("line", "changes"),
    [
        pytest.param(RIDE, {"amount": -581}, id="amount"),
        pytest.param(RIDE, {"at": "2026-11-20T08:12:34+09:00"}, id="time"),
        pytest.param(RIDE, {"to": "新大阪"}, id="station"),
        pytest.param(CHARGE, {"payment.last4": "1111"}, id="nested"),
        pytest.param(PASS, {"fares.6": 70000}, id="fare"),
        pytest.param(PASS, {"via": None}, id="via"),
        pytest.param(CARD, {"status": "deposited"}, id="status"),
        pytest.param(REFUND, {"pass_id": None}, id="pass-id"),
        pytest.param(POINTS, {"category": "charge"}, id="category"),
        pytest.param(BUS, {"operator": ""}, id="empty-vs-text"),
    ],
)
def test_canonical_differs_when_content_differs(line, changes):
    assert canonical(parse_line(edit(line, changes))) != canonical(parse_line(line))


# -- rejected: the line as a whole -----------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        pytest.param("", "empty line", id="empty"),
        pytest.param(" \t\r", "empty line", id="blank"),
        pytest.param("not json", "line is not valid JSON: Expecting value at column 1", id="not-json"),
        pytest.param(
            '{"type":"card"', "line is not valid JSON: Expecting ',' delimiter at column 15", id="cut-short"
        ),
        pytest.param('{"type":"card"}}', "line is not valid JSON: Extra data at column 16", id="extra-data"),
        pytest.param(
            "{'type':'card'}", "line is not valid JSON: Expecting property name", id="single-quotes"
        ),
        pytest.param('{"type":"card",}', "line is not valid JSON", id="trailing-comma"),
        pytest.param(RIDE + RIDE, "line is not valid JSON: Extra data", id="two-records-on-one-line"),
        pytest.param(
            '{"type":"usage","amount":NaN}', "line is not valid JSON: NaN is not a JSON number", id="nan"
        ),
        pytest.param('{"type":"usage","amount":-Infinity}', "-Infinity is not a JSON number", id="infinity"),
        pytest.param(
            '{"amount":' + "9" * 5000 + "}",
            "line is not valid JSON: a number has too many digits",
            id="digits",
        ),
        pytest.param("[" * 5000 + "]" * 5000, "line is not valid JSON: nested too deeply", id="deep"),
        pytest.param("[1, 2]", "line is not a JSON object (got an array: [1, 2])", id="array"),
        pytest.param('"card"', "line is not a JSON object (got a string: 'card')", id="string"),
        pytest.param("null", "line is not a JSON object (got null)", id="null"),
        pytest.param("42", "line is not a JSON object (got an integer: 42)", id="number"),
        pytest.param("\ufeff" + RIDE, "line starts with a byte order mark (U+FEFF)", id="bom-inside-file"),
        pytest.param(
            '{"type":"card","type":"pass"}', "duplicate field 'type': it appears twice", id="duplicate"
        ),
        pytest.param(
            CHARGE.replace('"last4":"4242"', '"last4":"4242","last4":"1111"'),
            "duplicate field 'last4'",
            id="duplicate-nested",
        ),
        pytest.param("x" * 70000, "line is longer than 65536 bytes (70000 bytes)", id="too-long"),
        pytest.param(
            '{"type":"usage","note":"' + "あ" * 22000 + '"}',
            "line is longer than 65536 bytes (66026 bytes)",
            id="bytes",
        ),
        pytest.param('{"id":"X"}', "missing required field 'type'", id="no-type"),
        pytest.param('{"type":5}', "type must be a string (got an integer: 5)", id="type-number"),
        pytest.param('{"type":null}', "type must be a string (got null)", id="type-null"),
        pytest.param(
            '{"type":"foo"}',
            "unknown type 'foo' (expected card, pass, usage, refund or points)",
            id="unknown-type",
        ),
        pytest.param('{"type":"Card"}', "unknown type 'Card'", id="type-case"),
        pytest.param('{"type":""}', "unknown type ''", id="type-empty"),
    ],
)
def test_rejected_line(line, expected):
    assert expected in reason(line)


@pytest.mark.parametrize(
    ("line", "field", "limit"),
    [
        (RIDE, "from", 100), (RIDE, "to", 100), (BUS, "operator", 100), (PURCHASE, "merchant", 200),
        (CHARGE, "place", 200), (ADJUSTMENT, "note", 200), (PASS, "from", 100), (PASS, "to", 100),
        (PASS, "via", 200), (POINTS, "category", 100),
    ],
)
def test_texts_longer_than_the_store_keeps_are_rejected(line, field, limit):
    """Counted in characters, kanji as one: the longest text is taken, one more is refused
    with the limit in the reason (the store's column would refuse it, mid-import)."""
    assert parse_line(edit(line, {field: "駅" * limit}))
    record_type = json.loads(line)["type"]
    assert reason(edit(line, {field: "駅" * (limit + 1)})) == (
        f"{record_type}.{field} must be at most {limit} characters (got {limit + 1}: {show('駅' * (limit + 1))})"
    )


def test_text_limits_are_the_store_columns():
    from cards.feed.records import MAX_CHARS
    from cards.models import CommuterPass, PointsEntry, UsageRecord

    columns = {
        "from": UsageRecord._meta.get_field("from_station"), "to": UsageRecord._meta.get_field("to_station"),
        "operator": UsageRecord._meta.get_field("operator"), "merchant": UsageRecord._meta.get_field("merchant"),
        "place": UsageRecord._meta.get_field("place"), "note": UsageRecord._meta.get_field("note"),
        "via": CommuterPass._meta.get_field("via"), "category": PointsEntry._meta.get_field("category"),
    }
    assert {name: column.max_length for name, column in columns.items()} == MAX_CHARS
    assert MAX_CHARS["from"] == CommuterPass._meta.get_field("from_station").max_length


def test_line_of_exactly_the_limit_is_not_too_long():
    line = edit(RIDE, {"padding": ""})
    line = line[:-2] + "x" * (MAX_LINE_BYTES - len(line.encode())) + '"}'
    assert len(line.encode()) == MAX_LINE_BYTES
    assert parse_line(line).amount == -580
    assert "line is longer than 65536 bytes (65537 bytes)" in reason(line[:-2] + 'x"}')


# -- rejected: missing fields ----------------------------------------------------------------

REQUIRED = [
    (CARD, ["icoca_number", "wester_id", "issued_at", "device", "status", "replaces"]),
    (
        PASS,
        [
            "id",
            "icoca_number",
            "kind",
            "from",
            "to",
            "valid_from",
            "valid_until",
            "months",
            "price",
            "fares",
            "paid_at",
            "payment",
        ],
    ),
    (RIDE, ["id", "icoca_number", "at", "kind", "amount", "balance"]),
    (REFUND, ["id", "icoca_number", "at", "balance", "pass_id", "fee", "total", "destination"]),
    (POINTS, ["id", "wester_id", "at", "kind", "points"]),
]


@pytest.mark.parametrize(
    ("line", "field"),
    [
        pytest.param(line, field, id=f"{json.loads(line)['type']}-{field}")
        for line, fields in REQUIRED
        for field in fields
    ],
)
def test_missing_required_field(line, field):
    assert reason(edit(line, {field: DROP})) == f"missing required field '{field}'"


@pytest.mark.parametrize(
    ("line", "field", "expected"),
    [
        pytest.param(
            RIDE, "from", "missing required field 'from' (required for kind 'ride')", id="ride-from"
        ),
        pytest.param(RIDE, "to", "missing required field 'to' (required for kind 'ride')", id="ride-to"),
        pytest.param(
            PURCHASE, "merchant", "missing required field 'merchant' (required for kind 'purchase')", id="m"
        ),
        pytest.param(
            ADJUSTMENT, "note", "missing required field 'note' (required for kind 'adjustment')", id="note"
        ),
        pytest.param(
            CHARGE, "payment", "missing required field 'payment' (required for kind 'charge')", id="pay"
        ),
        pytest.param(CHARGE, "payment.method", "missing required field 'payment.method'", id="charge-method"),
        pytest.param(
            CHARGE,
            "payment.brand",
            "missing required field 'payment.brand' (required when payment.method is 'card')",
            id="charge-brand",
        ),
        pytest.param(
            CHARGE,
            "payment.last4",
            "missing required field 'payment.last4' (required when payment.method is 'card')",
            id="charge-last4",
        ),
        pytest.param(PASS, "payment.method", "missing required field 'payment.method'", id="pass-method"),
        pytest.param(
            PASS, "payment.brand", "missing required field 'payment.brand' (required when", id="pass-brand"
        ),
        pytest.param(
            PASS, "payment.last4", "missing required field 'payment.last4' (required when", id="pass-last4"
        ),
        pytest.param(PASS, "fares.1", "missing required field 'fares.1'", id="fares-1"),
        pytest.param(PASS, "fares.3", "missing required field 'fares.3'", id="fares-3"),
        pytest.param(PASS, "fares.6", "missing required field 'fares.6'", id="fares-6"),
        pytest.param(
            REFUND, "destination.method", "missing required field 'destination.method'", id="dest-method"
        ),
        pytest.param(
            REFUND,
            "destination.brand",
            "missing required field 'destination.brand' (required when destination.method is 'card')",
            id="dest-brand",
        ),
        pytest.param(
            REFUND, "destination.last4", "missing required field 'destination.last4'", id="dest-last4"
        ),
    ],
)
def test_missing_field_of_a_kind_or_object(line, field, expected):
    assert expected in reason(edit(line, {field: DROP}))


# -- rejected: values, by kind of field ------------------------------------------------------

TIME_FIELDS = [(CARD, "issued_at"), (PASS, "paid_at"), (RIDE, "at"), (REFUND, "at"), (POINTS, "at")]
BAD_TIMES = [
    ("2026-11-20T08:12:33", "'2026-11-20T08:12:33' has no UTC offset (add one, like +09:00"),
    ("2026-11-20T08:12:33.5", "has no UTC offset"),
    ("2026-11-20 08:12:33+09:00", "is not an ISO 8601 time like 2026-11-20T08:12:33+09:00"),
    ("2026-11-20T08:12:33+0900", "is not an ISO 8601 time"),
    ("2026-11-20T08:12:33+09", "is not an ISO 8601 time"),
    ("20261120T081233+09:00", "is not an ISO 8601 time"),
    ("2026-11-20t08:12:33z", "is not an ISO 8601 time"),
    ("2026-11-20T08:12:33 JST", "is not an ISO 8601 time"),
    ("2026-11-20", "is not an ISO 8601 time"),
    ("2026-11-20T8:12:33+09:00", "is not an ISO 8601 time"),
    ("2026-11-20T08:12:33.1234567+09:00", "is not an ISO 8601 time"),
    ("２０２６-11-20T08:12:33+09:00", "is not an ISO 8601 time"),
    ("2026-11-20T08:12:33+09:00\n", "is not an ISO 8601 time"),
    ("", "is not an ISO 8601 time"),
    ("2026-13-20T08:12:33+09:00", "is not a valid time: month must be in 1..12"),
    ("2026-02-29T08:12:33+09:00", "is not a valid time: day is out of range for month"),
    ("2026-11-20T24:00:00+09:00", "is not a valid time: hour must be in 0..23"),
    ("2026-11-20T08:60:00+09:00", "minute must be in 0..59"),
    ("2026-11-20T08:12:60+09:00", "second must be in 0..59"),
    ("0001-01-01T00:00:00+09:00", "is not a valid time: date value out of range"),
    ("2026-11-20T08:12:33+24:00", "has an out-of-range UTC offset '+24:00'"),
    ("2026-11-20T08:12:33+09:60", "has an out-of-range UTC offset '+09:60'"),
    (1763593953, "must be a string (got an integer: 1763593953)"),
    (None, "must be a string (got null)"),
]


@pytest.mark.parametrize(
    ("line", "field", "value", "expected"),
    [
        pytest.param(line, field, value, expected, id=f"{json.loads(line)['type']}.{field}={value!r}")
        for line, field in TIME_FIELDS
        for value, expected in BAD_TIMES
    ],
)
def test_bad_time(line, field, value, expected):
    text = reason(edit(line, {field: value}))
    assert text.startswith(f"{json.loads(line)['type']}.{field} ")
    assert expected in text


def test_bad_time_example_of_the_brief():
    assert "usage.at '2026-11-20T08:12:33' has no UTC offset" in reason(
        edit(RIDE, {"at": "2026-11-20T08:12:33"})
    )


BAD_DATES = [
    ("2026/10/01", "'2026/10/01' is not a date in YYYY-MM-DD form"),
    ("2026-10-1", "is not a date in YYYY-MM-DD form"),
    ("20261001", "is not a date in YYYY-MM-DD form"),
    ("2026-10-01T00:00:00+09:00", "is not a date in YYYY-MM-DD form"),
    ("R8-10-01", "is not a date in YYYY-MM-DD form"),
    ("2026-02-30", "'2026-02-30' is not a valid date: day is out of range for month"),
    ("2026-00-10", "is not a valid date: month must be in 1..12"),
    ("0000-10-01", "is not a valid date: year 0 is out of range"),
    (20261001, "must be a string (got an integer: 20261001)"),
    (None, "must be a string (got null)"),
]


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        pytest.param(field, value, expected, id=f"{field}={value!r}")
        for field in ("valid_from", "valid_until")
        for value, expected in BAD_DATES
    ],
)
def test_bad_date(field, value, expected):
    text = reason(edit(PASS, {field: value}))
    assert text.startswith(f"pass.{field} ")
    assert expected in text


NUMBER_FIELDS = [
    (CARD, "icoca_number"),
    (PASS, "icoca_number"),
    (RIDE, "icoca_number"),
    (REFUND, "icoca_number"),
]
BAD_NUMBERS = [
    ("JW12", "'JW12' does not match ^JW[0-9A-Z]{15}$ (4 characters; it has 17)"),
    ("jw7a0000000000001", "'jw7a0000000000001' does not match ^JW[0-9A-Z]{15}$ (letters must be upper case)"),
    ("JW7a0000000000001", "does not match ^JW[0-9A-Z]{15}$ (letters must be upper case)"),
    ("JX7A0000000000001", "'JX7A0000000000001' does not match ^JW[0-9A-Z]{15}$"),
    ("JW7A00000000000012", "'JW7A00000000000012' does not match ^JW[0-9A-Z]{15}$ (18 characters; it has 17)"),
    ("JW7A000000000000-", "does not match ^JW[0-9A-Z]{15}$"),
    ("JW７A0000000000001", "does not match ^JW[0-9A-Z]{15}$"),
    ("JW7A0000000000001\n", "does not match ^JW[0-9A-Z]{15}$ (18 characters; it has 17)"),
    (" JW7A0000000000001", "does not match ^JW[0-9A-Z]{15}$ (18 characters; it has 17)"),
    ("", "'' does not match ^JW[0-9A-Z]{15}$ (0 characters; it has 17)"),
    (7, "must be a string (got an integer: 7)"),
    (None, "must be a string (got null)"),
    (["JW7A0000000000001"], 'must be a string (got an array: ["JW7A0000000000001"])'),
]


@pytest.mark.parametrize(
    ("line", "field", "value", "expected"),
    [
        pytest.param(line, field, value, expected, id=f"{json.loads(line)['type']}-{value!r}")
        for line, field in NUMBER_FIELDS
        for value, expected in BAD_NUMBERS
    ],
)
def test_bad_icoca_number(line, field, value, expected):
    text = reason(edit(line, {field: value}))
    assert text.startswith(f"{json.loads(line)['type']}.{field} ")
    assert expected in text


@pytest.mark.parametrize("line", VERBATIM_EXAMPLES[:-1])
def test_feed_md_example_number_breaks_the_rule(line):
    assert reason(line).endswith(
        "icoca_number 'JW7A00000000000001' does not match ^JW[0-9A-Z]{15}$ (18 characters; it has 17)"
    )


def test_feed_md_example_points_line_has_no_number_and_parses():
    assert parse_line(POINTS_IN_FEED_MD) == parse_line(POINTS)


def test_bad_icoca_number_example_of_the_brief():
    assert "icoca_number 'JW12' does not match ^JW[0-9A-Z]{15}$" in reason(
        edit(CARD, {"icoca_number": "JW12"})
    )


ID_FIELDS = [(PASS, "id"), (RIDE, "id"), (REFUND, "id"), (POINTS, "id"), (REFUND, "pass_id")]
BAD_IDS = [
    ("", "must not be empty (got '')"),
    ("x" * 65, "is 65 characters long (at most 64)"),
    ("あ" * 65, "is 65 characters long (at most 64)"),
    (123, "must be a string (got an integer: 123)"),
    ({"id": "x"}, "must be a string (got an object:"),
    ("P\x00-1", "contains a NUL character"),
    ("P-\ud800", "contains an unpaired surrogate"),
]


@pytest.mark.parametrize(
    ("line", "field", "value", "expected"),
    [
        pytest.param(line, field, value, expected, id=f"{json.loads(line)['type']}.{field}={value!r:.20}")
        for line, field in ID_FIELDS
        for value, expected in BAD_IDS
    ],
)
def test_bad_id(line, field, value, expected):
    text = reason(edit(line, {field: value}))
    assert text.startswith(f"{json.loads(line)['type']}.{field} ")
    assert expected in text


@pytest.mark.parametrize("line", [RIDE, PASS, REFUND, POINTS])
def test_id_null_is_rejected(line):
    assert "id must be a string (got null)" in reason(edit(line, {"id": None}))


WESTER_ID_FIELDS = [(CARD, "card"), (POINTS, "points")]
BAD_WESTER_IDS = [
    ("", "wester_id must be 1 to 255 characters long (got 0: '')"),
    ("x" * 256, "wester_id must be 1 to 255 characters long (got 256:"),
    (12345, "wester_id must be a string (got an integer: 12345)"),
    (None, "wester_id must be a string (got null)"),
]


@pytest.mark.parametrize(
    ("line", "record_type", "value", "expected"),
    [
        pytest.param(line, record_type, value, expected, id=f"{record_type}-{value!r:.20}")
        for line, record_type in WESTER_ID_FIELDS
        for value, expected in BAD_WESTER_IDS
    ],
)
def test_bad_wester_id(line, record_type, value, expected):
    assert f"{record_type}.{expected}" in reason(edit(line, {"wester_id": value}))


INT_FIELDS = [
    (PASS, "months"),
    (PASS, "price"),
    (PASS, "fares.1"),
    (PASS, "fares.3"),
    (PASS, "fares.6"),
    (RIDE, "amount"),
    (RIDE, "balance"),
    (REFUND, "balance"),
    (REFUND, "fee"),
    (REFUND, "total"),
    (POINTS, "points"),
]
BAD_INTS = [
    (True, "must be an integer (got a boolean: true)"),
    (False, "must be an integer (got a boolean: false)"),
    (580.0, "must be a whole number written without a decimal point (got 580.0)"),
    (-580.5, "must be a whole number written without a decimal point (got -580.5)"),
    (1e20, "must be a whole number written without a decimal point (got 1e+20)"),
    ("580", "must be an integer (got a string: '580')"),
    (None, "must be an integer (got null)"),
    ([580], "must be an integer (got an array: [580])"),
    (2**31, "is out of range: must be between -2147483648 and 2147483647 (got 2147483648)"),
    (-(2**31) - 1, "is out of range: must be between -2147483648 and 2147483647 (got -2147483649)"),
]


@pytest.mark.parametrize(
    ("line", "field", "value", "expected"),
    [
        pytest.param(line, field, value, expected, id=f"{json.loads(line)['type']}.{field}={value!r}")
        for line, field in INT_FIELDS
        for value, expected in BAD_INTS
    ],
)
def test_bad_integer(line, field, value, expected):
    assert f"{json.loads(line)['type']}.{field} {expected}" in reason(edit(line, {field: value}))


# -- rejected: the rules of each record type -------------------------------------------------


@pytest.mark.parametrize(
    ("line", "changes", "expected"),
    [
        # card
        pytest.param(
            CARD,
            {"device": "ipad"},
            "card.device must be android, iphone or apple_watch (got 'ipad')",
            id="device",
        ),
        pytest.param(
            CARD,
            {"device": "Android"},
            "card.device must be android, iphone or apple_watch",
            id="device-case",
        ),
        pytest.param(
            CARD,
            {"device": None},
            "card.device must be android, iphone or apple_watch (got null)",
            id="dev-null",
        ),
        pytest.param(
            CARD, {"device": 1}, "card.device must be android, iphone or apple_watch (got 1)", id="device-int"
        ),
        pytest.param(
            CARD,
            {"status": "lost"},
            "card.status must be active, deposited, suspended, reissued or refunded (got 'lost')",
            id="status",
        ),
        pytest.param(
            CARD, {"replaces": "JW12"}, "card.replaces 'JW12' does not match ^JW[0-9A-Z]{15}$", id="replaces"
        ),
        pytest.param(
            CARD, {"replaces": 5}, "card.replaces must be a string (got an integer: 5)", id="replaces-int"
        ),
        pytest.param(CARD, {"replaces": ""}, "card.replaces '' does not match", id="replaces-empty"),
        pytest.param(
            CARD,
            {"replaces": NUMBER},
            "card.replaces must be another card's number, not the card's own (got 'JW7A0000000000001')",
            id="replaces-itself",
        ),
        # pass
        pytest.param(
            PASS, {"kind": "senior"}, "pass.kind must be commuter or student (got 'senior')", id="kind"
        ),
        pytest.param(
            PASS, {"kind": "通勤"}, "pass.kind must be commuter or student (got '通勤')", id="kind-japanese"
        ),
        pytest.param(PASS, {"from": ""}, "pass.from must not be empty (got '')", id="from-empty"),
        pytest.param(PASS, {"to": "  "}, "pass.to must not be empty (got '  ')", id="to-blank"),
        pytest.param(PASS, {"from": None}, "pass.from must be a string (got null)", id="from-null"),
        pytest.param(PASS, {"to": 5}, "pass.to must be a string (got an integer: 5)", id="to-int"),
        pytest.param(PASS, {"via": 5}, "pass.via must be a string (got an integer: 5)", id="via-int"),
        pytest.param(PASS, {"via": ["JR神戸線"]}, "pass.via must be a string (got an array:", id="via-array"),
        pytest.param(
            PASS, {"from": "大\x00阪"}, "pass.from '大\\x00阪' contains a NUL character", id="from-nul"
        ),
        pytest.param(
            PASS,
            {"valid_from": "2027-01-01"},
            "pass.valid_until '2026-12-31' is before pass.valid_from '2027-01-01'",
            id="valid-until-before-from",
        ),
        *[
            pytest.param(
                PASS,
                {"months": months},
                f"pass.months must be 1, 3 or 6 (got {months})",
                id=f"months-{months}",
            )
            for months in (0, 2, 12, -3)
        ],
        pytest.param(PASS, {"price": 0}, "pass.price must be > 0 (got 0)", id="price-0"),
        pytest.param(PASS, {"price": -36960}, "pass.price must be > 0 (got -36960)", id="price-negative"),
        pytest.param(
            PASS,
            {"fares": [12970, 36960, 70040]},
            "pass.fares must be an object (got an array:",
            id="fares-a",
        ),
        pytest.param(PASS, {"fares": None}, "pass.fares must be an object (got null)", id="fares-null"),
        pytest.param(PASS, {"fares.1": 0}, "pass.fares.1 must be > 0 (got 0)", id="fare-0"),
        pytest.param(PASS, {"fares.6": -1}, "pass.fares.6 must be > 0 (got -1)", id="fare-negative"),
        pytest.param(PASS, {"payment": None}, "pass.payment must be an object (got null)", id="payment-null"),
        pytest.param(
            PASS, {"payment": "card"}, "pass.payment must be an object (got a string: 'card')", id="pay-str"
        ),
        pytest.param(
            PASS,
            {"payment.method": "paypay"},
            "pass.payment.method must be card, cash or points (got 'paypay')",
            id="m",
        ),
        pytest.param(
            PASS,
            {"payment.brand": "Visa"},
            "pass.payment.brand must be JCB, VISA, MASTERCARD or AMEX (got 'Visa')",
            id="brand-case",
        ),
        pytest.param(
            PASS,
            {"payment.brand": "DINERS"},
            "pass.payment.brand must be JCB, VISA, MASTERCARD or AMEX",
            id="b",
        ),
        pytest.param(PASS, {"payment.brand": None}, "pass.payment.brand must be JCB, VISA", id="brand-null"),
        *[
            pytest.param(
                PASS,
                {"payment.last4": last4},
                f"pass.payment.last4 must be exactly 4 digits 0-9 (got {last4!r})",
                id=last4,
            )
            for last4 in ("424", "42424", "42a2", "４２４２", "", " 4242", "4242\n")
        ],
        pytest.param(
            PASS,
            {"payment.last4": 4242},
            "pass.payment.last4 must be a string (got an integer: 4242)",
            id="l",
        ),
        pytest.param(
            PASS, {"payment.last4": None}, "pass.payment.last4 must be a string (got null)", id="last4-null"
        ),
        # usage
        pytest.param(
            RIDE,
            {"kind": "tram"},
            "usage.kind must be ride, bus, purchase, charge, point_charge or adjustment",
            id="kind",
        ),
        pytest.param(
            RIDE, {"amount": 580}, "usage.amount must be < 0 for kind 'ride' (got 580)", id="ride-positive"
        ),
        pytest.param(RIDE, {"amount": 0}, "usage.amount must be < 0 for kind 'ride' (got 0)", id="ride-0"),
        pytest.param(
            BUS, {"amount": 230}, "usage.amount must be < 0 for kind 'bus' (got 230)", id="bus-positive"
        ),
        pytest.param(
            PURCHASE, {"amount": 0}, "usage.amount must be < 0 for kind 'purchase' (got 0)", id="purchase-0"
        ),
        pytest.param(
            CHARGE,
            {"amount": -3000},
            "usage.amount must be > 0 for kind 'charge' (got -3000)",
            id="charge-neg",
        ),
        pytest.param(
            CHARGE, {"amount": 0}, "usage.amount must be > 0 for kind 'charge' (got 0)", id="charge-0"
        ),
        pytest.param(
            POINT_CHARGE, {"amount": 0}, "usage.amount must be > 0 for kind 'point_charge' (got 0)", id="pc-0"
        ),
        pytest.param(
            POINT_CHARGE,
            {"amount": -500},
            "usage.amount must be > 0 for kind 'point_charge' (got -500)",
            id="pc-neg",
        ),
        pytest.param(
            RIDE, {"balance": -1}, "usage.balance must be between 0 and 20000 (got -1)", id="balance-neg"
        ),
        pytest.param(
            RIDE,
            {"balance": 20001},
            "usage.balance must be between 0 and 20000 (got 20001)",
            id="balance-max",
        ),
        pytest.param(RIDE, {"from": ""}, "usage.from must not be empty (got '')", id="ride-from-empty"),
        pytest.param(RIDE, {"to": None}, "usage.to must be a string (got null)", id="ride-to-null"),
        pytest.param(
            BUS, {"operator": 5}, "usage.operator must be a string (got an integer: 5)", id="operator-int"
        ),
        pytest.param(
            PURCHASE, {"merchant": ""}, "usage.merchant must not be empty (got '')", id="merchant-empty"
        ),
        pytest.param(
            PURCHASE, {"merchant": None}, "usage.merchant must be a string (got null)", id="merchant-null"
        ),
        pytest.param(
            PURCHASE,
            {"merchant": "売店\ud800"},
            "usage.merchant '売店\\ud800' contains an unpaired surrogate",
            id="sur",
        ),
        pytest.param(ADJUSTMENT, {"note": " "}, "usage.note must not be empty (got ' ')", id="note-blank"),
        pytest.param(
            CHARGE,
            {"payment.method": "points"},
            "usage.payment.method must be card or cash (got 'points'); a charge paid with points is kind 'point_charge'",
            id="charge-with-points",
        ),
        pytest.param(
            CHARGE, {"payment": None}, "usage.payment must be an object (got null)", id="charge-payment-null"
        ),
        pytest.param(
            CHARGE,
            {"payment.brand": "UNIONPAY"},
            "usage.payment.brand must be JCB, VISA, MASTERCARD or AMEX",
            id="b",
        ),
        pytest.param(
            CHARGE, {"payment.last4": "42"}, "usage.payment.last4 must be exactly 4 digits", id="last4"
        ),
        pytest.param(
            CHARGE, {"place": 3}, "usage.place must be a string (got an integer: 3)", id="place-int"
        ),
        # refund
        pytest.param(REFUND, {"balance": -1}, "refund.balance must be >= 0 (got -1)", id="refund-balance"),
        pytest.param(REFUND, {"fee": -220}, "refund.fee must be >= 0 (got -220)", id="fee"),
        pytest.param(REFUND, {"total": -1}, "refund.total must be >= 0 (got -1)", id="total"),
        pytest.param(
            REFUND,
            {"destination.method": "cash"},
            "refund.destination.method must be card or bank (got 'cash')",
            id="m",
        ),
        pytest.param(
            REFUND, {"destination": "bank"}, "refund.destination must be an object (got a string:", id="dest"
        ),
        pytest.param(
            REFUND,
            {"destination.brand": "visa"},
            "refund.destination.brand must be JCB, VISA, MASTERCARD or AMEX",
            id="b",
        ),
        pytest.param(
            REFUND,
            {"destination.last4": "abcd"},
            "refund.destination.last4 must be exactly 4 digits",
            id="l4",
        ),
        # points
        pytest.param(
            POINTS,
            {"kind": "bonus"},
            "points.kind must be earn, charge, expire or adjust (got 'bonus')",
            id="k",
        ),
        pytest.param(POINTS, {"points": 0}, "points.points must be > 0 for kind 'earn' (got 0)", id="earn-0"),
        pytest.param(
            POINTS, {"points": -128}, "points.points must be > 0 for kind 'earn' (got -128)", id="earn-neg"
        ),
        pytest.param(
            POINTS,
            {"kind": "charge", "points": 500},
            "points.points must be < 0 for kind 'charge' (got 500)",
            id="charge",
        ),
        pytest.param(
            POINTS,
            {"kind": "expire", "points": 0},
            "points.points must be < 0 for kind 'expire' (got 0)",
            id="e",
        ),
        pytest.param(
            POINTS, {"points": 1.5}, "points.points must be a whole number written without a decimal", id="f"
        ),
        pytest.param(
            POINTS, {"category": 5}, "points.category must be a string (got an integer: 5)", id="category"
        ),
    ],
)
def test_rejected_value(line, changes, expected):
    assert expected in reason(edit(line, changes))


def test_long_values_are_shortened_in_the_reason():
    text = reason(edit(PASS, {"kind": "x" * 1000}))
    assert "pass.kind must be commuter or student (got 'xxx" in text
    assert len(text) < 150


def test_first_problem_in_field_order_is_reported():
    line = edit(RIDE, {"icoca_number": "JW12", "amount": 580, "balance": -1})
    assert reason(line).startswith("usage.icoca_number 'JW12'")


# -- reading a file --------------------------------------------------------------------------


def lines_of(data: bytes) -> list[tuple[int, str | None, str | None]]:
    return list(iter_lines(io.BytesIO(data)))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(b"", [], id="empty-file"),
        pytest.param(b"a\nb\n", [(1, "a", None), (2, "b", None)], id="lf"),
        pytest.param(b"a\r\nb\r\n", [(1, "a", None), (2, "b", None)], id="crlf"),
        pytest.param(b"a\nb", [(1, "a", None), (2, "b", None)], id="no-final-newline"),
        pytest.param(
            b"\n\na\n \t\r\n\nb\n\n", [(3, "a", None), (6, "b", None)], id="blank-lines-skipped-numbers-kept"
        ),
        pytest.param(b"\xef\xbb\xbfa\nb\n", [(1, "a", None), (2, "b", None)], id="bom-dropped"),
        pytest.param(b"\xef\xbb\xbf\na\n", [(2, "a", None)], id="bom-on-blank-first-line"),
        pytest.param(b"a\n\xef\xbb\xbfb\n", [(1, "a", None), (2, "\ufeffb", None)], id="bom-later-kept"),
        pytest.param(b"a\rb\n", [(1, "a\rb", None)], id="lone-cr-is-not-a-line-break"),
        pytest.param(
            "大阪\u2028京都\n".encode(), [(1, "大阪\u2028京都", None)], id="unicode-separator-not-a-break"
        ),
        pytest.param(b" a \n", [(1, " a ", None)], id="spaces-kept"),
    ],
)
def test_iter_lines(data, expected):
    assert lines_of(data) == expected


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(
            b'{"a":"\xff"}\n',
            "line is not valid UTF-8: invalid start byte, byte 0xff at byte 7 of the line",
            id="invalid-start-byte",
        ),
        pytest.param("大阪".encode("shift_jis"), "was it saved as Shift_JIS?", id="shift-jis"),
        pytest.param(
            "あ".encode()[:2], "line is not valid UTF-8: unexpected end of data", id="cut-character"
        ),
        pytest.param(
            b"\xed\xa0\x80", "line is not valid UTF-8: invalid continuation byte", id="encoded-surrogate"
        ),
    ],
)
def test_iter_lines_not_utf8(data, expected):
    [(number, text, error)] = lines_of(b"\n" + data + b"\n")
    assert (number, text) == (2, None)
    assert expected in error


TOO_LONG = "line is longer than 65536 bytes ({} bytes); are line breaks missing between records?"


@pytest.mark.parametrize(
    ("data", "size"),
    [
        pytest.param(b"x" * (MAX_LINE_BYTES + 1), MAX_LINE_BYTES + 1, id="one-byte-over"),
        pytest.param(b"x" * 1_000_000, 1_000_000, id="a-megabyte"),
        pytest.param("あ".encode() * 30000, 90000, id="bytes-not-characters"),
    ],
)
@pytest.mark.parametrize("ending", [b"\n", b"\r\n"], ids=["lf", "crlf"])
def test_iter_lines_too_long_line_is_skipped(data, size, ending):
    assert lines_of(b"a\n" + data + ending + b"b\n") == [
        (1, "a", None),
        (2, None, TOO_LONG.format(size)),
        (3, "b", None),
    ]


@pytest.mark.parametrize(
    ("data", "size"),
    [
        pytest.param(b"x" * (MAX_LINE_BYTES + 1), MAX_LINE_BYTES + 1, id="one-byte-over"),
        pytest.param(b"x" * MAX_LINE_BYTES + b"\r", MAX_LINE_BYTES + 1, id="cr-without-lf-counts"),
        pytest.param(b"x" * 1_000_000, 1_000_000, id="a-megabyte"),
    ],
)
def test_iter_lines_too_long_last_line(data, size):
    assert lines_of(b"a\n" + data) == [(1, "a", None), (2, None, TOO_LONG.format(size))]


@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b""], ids=["lf", "crlf", "eof"])
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["no-bom", "bom"])
def test_iter_lines_at_the_limit(ending, bom):
    line = b"x" * MAX_LINE_BYTES
    assert lines_of(bom + line + b"\n" + line + ending) == [
        (1, line.decode(), None),
        (2, line.decode(), None),
    ]
    [(_, text, error)] = lines_of(bom + line + b"x" + ending)
    assert text is None
    assert "(65537 bytes)" in error


class Endless(io.RawIOBase):
    """A non-seekable stream (like a pipe) of ``size`` bytes of "x", a line break, then ``tail``."""

    def __init__(self, size: int, tail: bytes) -> None:
        self.left = size
        self.tail = b"\n" + tail

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.left:
            n = min(len(buffer), self.left)
            buffer[:n] = b"x" * n
            self.left -= n
            return n
        n = min(len(buffer), len(self.tail))
        buffer[:n] = self.tail[:n]
        self.tail = self.tail[n:]
        return n


def test_iter_lines_reads_a_huge_line_in_constant_memory():
    stream = io.BufferedReader(Endless(64 * 1024 * 1024, RIDE.encode() + b"\n"))
    tracemalloc.start()
    try:
        result = list(iter_lines(stream))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result == [(1, None, TOO_LONG.format(64 * 1024 * 1024)), (2, RIDE, None)]
    assert peak < 2 * 1024 * 1024


def test_a_whole_file_reads_and_parses():
    data = ("\ufeff" + "\n".join(FEED_EXAMPLES) + "\n\n" + BUS + "\r\n").encode()
    records = [parse_line(text) for _, text, error in iter_lines(io.BytesIO(data)) if error is None]
    assert [record.type for record in records] == [
        "card",
        "pass",
        "usage",
        "usage",
        "usage",
        "refund",
        "points",
        "usage",
    ]
    assert [number for number, _, _ in iter_lines(io.BytesIO(data))] == [1, 2, 3, 4, 5, 6, 7, 9]
