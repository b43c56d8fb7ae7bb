"""parse_line: one line of the card center feed (FEED.md) into a validated record.

The rules are FEED.md's and no more (the checks that need the store, such as a refund's
total against its pass, are the importer's). Where FEED.md is silent:

- a field FEED.md shows is required unless it says "optional" (``via``, ``operator``,
  ``place``, ``category``); so ``merchant`` (purchase) and ``note`` (adjustment) are required
  and not blank, like ``from`` and ``to``. ``replaces`` and ``pass_id`` ("... or null") must
  be present, null allowed. An optional field may be absent or null.
- fields that do not belong to a usage kind (``merchant`` on a ride) are ignored like
  unknown fields, and so are ``brand`` and ``last4`` when the method is not ``card``.
- ``price`` need not equal ``fares[months]`` and ``fee`` need not be 220: neither is stated.
- the limits of FEED.md's common rules (``limits.FeedLimits``, for the moment of the import):
  event times from 2000-01-01 (Japan) to 24 hours after the import, a pass starting from
  2000-01-01 to 31 days after the import's Japan date, its ``valid_until`` from
  ``valid_from`` to the last day of a ``months``-month pass. Each reason names the limit.
- ``adjustment`` amounts and ``adjust`` points may be any integer, 0 included.
- obviously malformed values are rejected: a duplicate key in one object, NaN or Infinity,
  an integer outside -2**31..2**31-1, a string with a NUL or an unpaired surrogate.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime

from .limits import FeedLimits
from .records import (
    BRANDS,
    CARD_STATUSES,
    CHARGE_PAYMENT_METHODS,
    DESTINATION_METHODS,
    DEVICES,
    MAX_BALANCE,
    PASS_KINDS,
    PASS_MONTHS,
    PAYMENT_METHODS,
    POINTS_KINDS,
    TYPES,
    USAGE_KINDS,
    CardRecord,
    Destination,
    Fares,
    PassRecord,
    Payment,
    PointsRecord,
    Record,
    RefundRecord,
    UsageRecord,
)
from .validators import MAX_LINE_BYTES, FeedLineError, Fields, got_type, one_of, show, too_long

__all__ = ["FeedLineError", "parse_line"]

_JSON_BLANK = " \t\r\n"
_NEGATIVE_AMOUNT = ("ride", "bus", "purchase")
_POSITIVE_AMOUNT = ("charge", "point_charge")


def parse_line(text: str, limits: FeedLimits | None = None) -> Record:
    """The record on one feed line (without its line break), or FeedLineError(reason).

    ``limits``: those of the import (its moment); by default those of the present moment."""
    data = _load(text)
    if "type" not in data:
        raise FeedLineError("missing required field 'type'")
    record_type = data["type"]
    if not isinstance(record_type, str):
        raise FeedLineError(f"type must be a string {got_type(record_type)}")
    build = _BUILDERS.get(record_type)
    if build is None:
        raise FeedLineError(f"unknown type {show(record_type)} (expected {one_of(TYPES)})")
    return build(Fields(data, record_type), limits or FeedLimits.now())


def _load(text: str) -> dict[str, object]:
    if len(text) > MAX_LINE_BYTES // 4:  # else it cannot be too long
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > MAX_LINE_BYTES:
            raise FeedLineError(too_long(size))
    if not text.strip(_JSON_BLANK):
        raise FeedLineError("empty line")
    if text.startswith("\ufeff"):
        raise FeedLineError(
            "line starts with a byte order mark (U+FEFF), which is allowed only at the start of the file"
        )
    try:
        data = json.loads(text, object_pairs_hook=_object, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        raise FeedLineError(f"line is not valid JSON: {exc.msg} at column {exc.colno}") from None
    except RecursionError:
        raise FeedLineError("line is not valid JSON: nested too deeply") from None
    except ValueError as exc:  # an integer beyond Python's digit limit
        problem = "a number has too many digits" if "digits" in str(exc) else str(exc)
        raise FeedLineError(f"line is not valid JSON: {problem}") from None
    if not isinstance(data, dict):
        raise FeedLineError(f"line is not a JSON object {got_type(data)}")
    return data


def _object(pairs: list[tuple[str, object]]) -> dict[str, object]:
    data = dict(pairs)
    if len(data) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise FeedLineError(f"duplicate field {show(key)}: it appears twice in one object")
            seen.add(key)
    return data


def _constant(name: str) -> object:
    raise FeedLineError(f"line is not valid JSON: {name} is not a JSON number")


def _time(f: Fields, name: str, limits: FeedLimits) -> datetime:
    """An event time inside the limits."""
    moment = f.iso_time(name)
    problem = limits.time_problem(moment)
    if problem:
        raise f.error(name, f"{show(f.data[name])} {problem}")
    return moment


def _card(f: Fields, limits: FeedLimits) -> CardRecord:
    record = CardRecord(
        icoca_number=f.icoca_number(),
        wester_id=f.wester_id(),
        issued_at=_time(f, "issued_at", limits),
        device=f.choice("device", DEVICES),
        status=f.choice("status", CARD_STATUSES),
        replaces=f.nullable_icoca_number("replaces"),
    )
    if record.replaces == record.icoca_number:
        raise f.invalid("replaces", "must be another card's number, not the card's own", record.replaces)
    return record


def _pass(f: Fields, limits: FeedLimits) -> PassRecord:
    record = PassRecord(
        id=f.id(),
        icoca_number=f.icoca_number(),
        kind=f.choice("kind", PASS_KINDS),
        from_station=f.text("from"),
        to_station=f.text("to"),
        via=f.optional_text("via"),
        valid_from=_valid_from(f, limits),
        valid_until=f.iso_date("valid_until"),
        months=_months(f),
        price=f.integer("price", at_least=1),
        fares=_fares(f.nested("fares")),
        paid_at=_time(f, "paid_at", limits),
        payment=_payment(f.nested("payment"), PAYMENT_METHODS),
    )
    problem = limits.valid_until_problem(record.valid_from, record.valid_until, record.months)
    if problem:
        raise f.error("valid_until", f"{show(record.valid_until.isoformat())} {problem}")
    return record


def _valid_from(f: Fields, limits: FeedLimits) -> date:
    day = f.iso_date("valid_from")
    problem = limits.valid_from_problem(day)
    if problem:
        raise f.error("valid_from", f"{show(day.isoformat())} {problem}")
    return day


def _months(f: Fields) -> int:
    months = f.integer("months")
    if months not in PASS_MONTHS:
        raise f.invalid("months", f"must be {one_of(PASS_MONTHS)}", months)
    return months


def _fares(f: Fields) -> Fares:
    return Fares(
        one_month=f.integer("1", at_least=1),
        three_months=f.integer("3", at_least=1),
        six_months=f.integer("6", at_least=1),
    )


def _payment(f: Fields, methods: tuple[str, ...], hint: str = "") -> Payment:
    method = f.choice("method", methods, hint=hint)
    if method != "card":
        return Payment(method=method)
    brand, last4 = _card_details(f)
    return Payment(method=method, brand=brand, last4=last4)


def _destination(f: Fields) -> Destination:
    method = f.choice("method", DESTINATION_METHODS)
    if method != "card":
        return Destination(method=method)
    brand, last4 = _card_details(f)
    return Destination(method=method, brand=brand, last4=last4)


def _card_details(f: Fields) -> tuple[str, str]:
    context = f"when {f.label}method is 'card'"
    return f.choice("brand", BRANDS, context=context), f.last4(context=context)


def _usage(f: Fields, limits: FeedLimits) -> UsageRecord:
    id_, icoca_number, at = f.id(), f.icoca_number(), _time(f, "at", limits)
    kind = f.choice("kind", USAGE_KINDS)
    amount = f.integer("amount")
    _check_sign(f, "amount", amount, kind, negative=_NEGATIVE_AMOUNT, positive=_POSITIVE_AMOUNT)
    balance = f.integer("balance", at_least=0, at_most=MAX_BALANCE)
    needed = f"for kind {kind!r}"
    return UsageRecord(
        id=id_,
        icoca_number=icoca_number,
        at=at,
        kind=kind,
        amount=amount,
        balance=balance,
        from_station=f.text("from", context=needed) if kind == "ride" else None,
        to_station=f.text("to", context=needed) if kind == "ride" else None,
        operator=f.optional_text("operator") if kind == "bus" else None,
        merchant=f.text("merchant", context=needed) if kind == "purchase" else None,
        payment=_charge_payment(f) if kind == "charge" else None,
        place=f.optional_text("place") if kind == "charge" else None,
        note=f.text("note", context=needed) if kind == "adjustment" else None,
    )


def _charge_payment(f: Fields) -> Payment:
    payment = f.nested("payment", context="for kind 'charge'")
    hint = "a charge paid with points is kind 'point_charge'"
    return _payment(payment, CHARGE_PAYMENT_METHODS, hint=hint)


def _refund(f: Fields, limits: FeedLimits) -> RefundRecord:
    return RefundRecord(
        id=f.id(),
        icoca_number=f.icoca_number(),
        at=_time(f, "at", limits),
        balance=f.integer("balance", at_least=0),
        pass_id=f.nullable_id("pass_id"),
        fee=f.integer("fee", at_least=0),
        total=f.integer("total", at_least=0),
        destination=_destination(f.nested("destination")),
    )


def _points(f: Fields, limits: FeedLimits) -> PointsRecord:
    id_, wester_id, at = f.id(), f.wester_id(), _time(f, "at", limits)
    kind = f.choice("kind", POINTS_KINDS)
    points = f.integer("points")
    _check_sign(f, "points", points, kind, negative=("charge", "expire"), positive=("earn",))
    return PointsRecord(
        id=id_, wester_id=wester_id, at=at, kind=kind, points=points, category=f.optional_text("category")
    )


def _check_sign(
    f: Fields, name: str, value: int, kind: str, *, negative: tuple[str, ...], positive: tuple[str, ...]
) -> None:
    if kind in negative and value >= 0:
        raise f.invalid(name, f"must be < 0 for kind {kind!r}", value)
    if kind in positive and value <= 0:
        raise f.invalid(name, f"must be > 0 for kind {kind!r}", value)


_BUILDERS: dict[str, Callable[[Fields, FeedLimits], Record]] = {
    "card": _card,
    "pass": _pass,
    "usage": _usage,
    "refund": _refund,
    "points": _points,
}
