"""A fast reading of the common ``usage`` line, for million-line files. Django-free.

``usage_line(text, limits)`` returns ``(values, text)`` for a plainly valid ``usage`` line: its stored
content (``content.values`` of what ``parsing.parse_line`` builds) and that content's text
(``content.content_text``), and ``None`` for anything else: another type, a line with
anything unusual (leading blanks, a fractional second, an offset like +05:30, a duplicate
key, NaN, a value out of range, a time outside the import's ``limits``), or an invalid line. The caller then calls ``parse_line``,
which builds the record or says why the line is rejected. So this module only ever
accepts, never rejects, and ``parse_line`` stays the one definition of FEED.md:
``cards/tests/test_feed_fastpath.py`` checks on valid and mutated lines that every answer
that is not ``None`` equals what ``parse_line`` and ``content`` give.

Two stages, each only ever accepting what ``parse_line`` accepts:

1. ``_typed``: msgspec decodes the line straight into a typed structure per kind, checking
   types, lengths, ranges and the amount's sign in C (about a microsecond, half of what the
   standard library's decoder alone takes); the ICOCA number and the time are checked here,
   through caches. msgspec keeps the last of duplicate keys, which FEED.md forbids: a line
   counts as plain only when its quotes (``"`` outside escapes) are exactly those of the
   keys and string values decoded, which a duplicate or unknown key breaks.
2. ``_general``: the standard library's decoder, with a hook that refuses duplicate keys,
   and the checks in Python: for lines the first stage leaves (unknown fields, for one).

Both convert times to UTC through a cache of whole hours.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from .content import Values, content_text
from .limits import FeedLimits
from .records import BRANDS, MAX_BALANCE, MAX_CHARS, USAGE_KINDS
from .validators import INT_MAX, INT_MIN, MAX_LINE_BYTES

_ICOCA_NUMBER = re.compile(r"JW[0-9A-Z]{15}")
_LAST4 = re.compile(r"[0-9]{4}")
# The usual form: whole seconds and an offset of whole hours (or Z).
_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-5][0-9]:[0-5][0-9](?:Z|[+-](?:[01][0-9]|2[0-3]):00)")
_NEGATIVE = frozenset(("ride", "bus", "purchase"))
_POSITIVE = frozenset(("charge", "point_charge"))
_KINDS = frozenset(USAGE_KINDS)
_BRANDS = frozenset(BRANDS)
_HOURS: dict[str, str | None] = {}  # "2026-11-20T08+09:00" -> "2026-11-19T23" (UTC), None if invalid
_HOURS_MAX = 100_000
_NUMBERS: set[str] = set()  # ICOCA numbers seen valid
_NUMBERS_MAX = 1_000_000
_NONE = ("", "", "", "", "", "", "", "", "")


class _Unusual(Exception):
    pass


def _object(pairs: list[tuple[str, object]]) -> dict[str, object]:
    data = dict(pairs)
    if len(data) != len(pairs):  # a duplicate key: parse_line says so
        raise _Unusual
    return data


def _constant(name: str) -> object:
    raise _Unusual


_decode = json.JSONDecoder(object_pairs_hook=_object, parse_constant=_constant).raw_decode


def _clean(value: str) -> bool:
    """A string parse_line accepts: no NUL, no unpaired surrogate."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _utc(at: str) -> str | None:
    """``at`` (the usual form) in UTC as ``content.utc_text`` writes it."""
    offset = at[19:]
    key = at[:13] + offset
    hour = _HOURS.get(key, "")
    if hour == "":
        try:
            hour = datetime.fromisoformat(at[:13] + ":00:00" + offset).astimezone(UTC).isoformat()[:13]
        except (ValueError, OverflowError):
            hour = None
        if len(_HOURS) >= _HOURS_MAX:
            _HOURS.clear()
        _HOURS[key] = hour
    return None if hour is None else hour + at[13:19] + "+00:00"


def usage_line(text: str, limits: FeedLimits) -> tuple[Values, str] | None:
    """``(values, content text)`` of a plainly valid usage line inside ``limits``, else ``None``."""
    if text[:1] != "{" or len(text) > MAX_LINE_BYTES // 4:
        return None
    found = _typed(text, limits)
    return _general(text, limits) if found is None else found


# -- the typed stage ------------------------------------------------------------------------
#
# One structure per kind, told apart by ``kind`` (a tagged union): each has exactly the fields
# its kind reads, with their types, lengths, ranges and an amount's sign, which msgspec checks.
# A line with any other field is left to the general stage. Patterns cost more in msgspec
# than here, where an ICOCA number already seen valid is not matched again.

_Id = Annotated[str, Meta(min_length=1, max_length=64)]
_Number = Annotated[str, Meta(min_length=17, max_length=17)]
_Balance = Annotated[int, Meta(ge=0, le=MAX_BALANCE)]
_Spent = Annotated[int, Meta(ge=INT_MIN, lt=0)]
_Added = Annotated[int, Meta(gt=0, le=INT_MAX)]
# Quoted strings every usage line has: type, id, icoca_number, at, kind (key and value),
# amount and balance (key).
_REQUIRED_STRINGS = 12


def _chars(name: str) -> object:
    """Text of the field ``name``, no longer than the store keeps."""
    return Annotated[str, Meta(max_length=MAX_CHARS[name])]


def _optional_chars(name: str) -> object:
    return _chars(name) | UnsetType | None  # absent: UNSET; null: None


def _strings(value: object) -> int:
    """Quoted strings of an optional text field: its key when present, and its value if text."""
    return 0 if value is UNSET else 1 if value is None else 2


class _Usage(msgspec.Struct, tag_field="kind", forbid_unknown_fields=True):
    type: Literal["usage"]
    id: _Id
    icoca_number: _Number
    at: str
    balance: _Balance

    def strings(self) -> int:
        """The quoted strings of a line of this kind (keys and text values)."""
        raise NotImplementedError

    def fields(self) -> tuple[str, ...] | None:
        """from, to, operator, merchant, place, note, payment method, brand, last4; ``None``
        when a text that must not be blank is."""
        raise NotImplementedError


class _Ride(_Usage, tag="ride"):
    amount: _Spent
    from_: _chars("from") = msgspec.field(name="from")
    to: _chars("to")

    def strings(self) -> int:
        return _REQUIRED_STRINGS + 4

    def fields(self) -> tuple[str, ...]:
        if not self.from_.strip() or not self.to.strip():
            return None
        return (self.from_, self.to, "", "", "", "", "", "", "")


class _Bus(_Usage, tag="bus"):
    amount: _Spent
    operator: _optional_chars("operator") = UNSET

    def strings(self) -> int:
        return _REQUIRED_STRINGS + _strings(self.operator)

    def fields(self) -> tuple[str, ...]:
        return ("", "", self.operator or "", "", "", "", "", "", "")


class _Purchase(_Usage, tag="purchase"):
    amount: _Spent
    merchant: _chars("merchant")

    def strings(self) -> int:
        return _REQUIRED_STRINGS + 2

    def fields(self) -> tuple[str, ...]:
        return ("", "", "", self.merchant, "", "", "", "", "") if self.merchant.strip() else None


class _Card(msgspec.Struct, tag_field="method", tag="card", forbid_unknown_fields=True):
    brand: Literal[BRANDS]
    last4: Annotated[str, Meta(min_length=4, max_length=4)]


class _Cash(msgspec.Struct, tag_field="method", tag="cash", forbid_unknown_fields=True):
    pass


class _Charge(_Usage, tag="charge"):
    amount: _Added
    payment: _Card | _Cash
    place: _optional_chars("place") = UNSET

    def strings(self) -> int:
        payment = 7 if type(self.payment) is _Card else 3  # its key, method, brand, last4
        return _REQUIRED_STRINGS + payment + _strings(self.place)

    def fields(self) -> tuple[str, ...]:
        if type(self.payment) is _Card:
            last4 = self.payment.last4
            if not (last4.isascii() and last4.isdigit()):
                return None
            return ("", "", "", "", self.place or "", "", "card", self.payment.brand, last4)
        return ("", "", "", "", self.place or "", "", "cash", "", "")


class _PointCharge(_Usage, tag="point_charge"):
    amount: _Added

    def strings(self) -> int:
        return _REQUIRED_STRINGS

    def fields(self) -> tuple[str, ...]:
        return _NONE


class _Adjustment(_Usage, tag="adjustment"):
    amount: Annotated[int, Meta(ge=INT_MIN, le=INT_MAX)]
    note: _chars("note")

    def strings(self) -> int:
        return _REQUIRED_STRINGS + 2

    def fields(self) -> tuple[str, ...]:
        return ("", "", "", "", "", self.note, "", "", "") if self.note.strip() else None


_decode_typed = msgspec.json.Decoder(_Ride | _Bus | _Purchase | _Charge | _PointCharge | _Adjustment).decode
_ESCAPE = re.compile(r"\\.")


def _typed(text: str, limits: FeedLimits) -> tuple[Values, str] | None:
    try:
        usage = _decode_typed(text)
    except (msgspec.DecodeError, UnicodeError, RecursionError):
        return None
    # msgspec keeps the last of duplicate keys: the quotes (outside escapes) tell them.
    escaped = "\\" in text
    if (_ESCAPE.sub("", text) if escaped else text).count('"') != 2 * usage.strings():
        return None
    number, at, rest = usage.icoca_number, usage.at, usage.fields()
    if rest is None or (escaped and not all(map(_clean, (usage.id, *rest)))):
        return None
    if number not in _NUMBERS:
        if _ICOCA_NUMBER.fullmatch(number) is None:
            return None
        if len(_NUMBERS) >= _NUMBERS_MAX:
            _NUMBERS.clear()
        _NUMBERS.add(number)
    utc = _utc(at) if _TIME.fullmatch(at) else None
    if utc is None or not limits.earliest_text <= utc[:19] <= limits.latest_text:
        return None
    values = (usage.id, number, utc, _KIND[type(usage)], usage.amount, usage.balance, *rest)
    return values, _written(values, rest, escaped)


_KIND = {kind: kind.__struct_config__.tag for kind in (_Ride, _Bus, _Purchase, _Charge, _PointCharge, _Adjustment)}


# -- the general stage ------------------------------------------------------------------------


def _general(text: str, limits: FeedLimits) -> tuple[Values, str] | None:
    try:
        data, end = _decode(text)
    except (_Unusual, ValueError, RecursionError):
        return None
    if end != len(text) or data.get("type") != "usage":
        return None
    escaped = "\\" in text
    if not escaped and not text.isascii():
        try:  # with no escapes, a string can hold no NUL (JSON refuses it raw): only surrogates
            text.encode("utf-8")
        except UnicodeEncodeError:
            return None
    id_, number, at, kind = data.get("id"), data.get("icoca_number"), data.get("at"), data.get("kind")
    amount, balance = data.get("amount"), data.get("balance")
    if type(id_) is not str or not 0 < len(id_) <= 64 or (escaped and not _clean(id_)):
        return None
    if type(number) is not str or _ICOCA_NUMBER.fullmatch(number) is None:
        return None
    if type(at) is not str or _TIME.fullmatch(at) is None:
        return None
    utc = _utc(at)
    if utc is None or not limits.earliest_text <= utc[:19] <= limits.latest_text:
        return None
    if type(kind) is not str or kind not in _KINDS:
        return None
    if type(amount) is not int or not INT_MIN <= amount <= INT_MAX:
        return None
    if (kind in _NEGATIVE and amount >= 0) or (kind in _POSITIVE and amount <= 0):
        return None
    if type(balance) is not int or not 0 <= balance <= MAX_BALANCE:
        return None
    rest = _kind_fields(data, kind, escaped)
    if rest is None:
        return None
    values = (id_, number, utc, kind, amount, balance, *rest)
    return values, _written(values, rest, escaped)


def _written(values: Values, rest: tuple[str, ...], escaped: bool) -> str:
    """``content.content_text(values)``."""
    if escaped:  # a tab or a backslash may need escaping: the careful way
        return content_text(values)
    id_, number, utc, kind, amount, balance = values[:6]
    a, b, c, d, e, f, g, h, i = rest
    return f"{id_}\t{number}\t{utc}\t{kind}\t{amount}\t{balance}\t{a}\t{b}\t{c}\t{d}\t{e}\t{f}\t{g}\t{h}\t{i}"


def _text(data: dict[str, object], name: str, escaped: bool) -> str | None:
    """A required, non-blank string (``None`` when it is not one)."""
    value = data.get(name)
    if type(value) is not str or not value.strip() or len(value) > MAX_CHARS[name] or (escaped and not _clean(value)):
        return None
    return value


def _optional(data: dict[str, object], name: str, escaped: bool) -> str | None:
    """An optional string as stored ("" when absent or null); ``None`` when invalid."""
    value = data.get(name)
    if value is None:
        return ""
    if type(value) is not str or len(value) > MAX_CHARS[name] or (escaped and not _clean(value)):
        return None
    return value


def _kind_fields(data: dict[str, object], kind: str, escaped: bool) -> tuple[str, ...] | None:
    """from, to, operator, merchant, place, note, payment method, brand, last4."""
    if kind == "ride":
        origin, destination = _text(data, "from", escaped), _text(data, "to", escaped)
        if origin is None or destination is None:
            return None
        return (origin, destination, "", "", "", "", "", "", "")
    if kind == "purchase":
        merchant = _text(data, "merchant", escaped)
        return None if merchant is None else ("", "", "", merchant, "", "", "", "", "")
    if kind == "bus":
        operator = _optional(data, "operator", escaped)
        return None if operator is None else ("", "", operator, "", "", "", "", "", "")
    if kind == "point_charge":
        return _NONE
    if kind == "adjustment":
        note = _text(data, "note", escaped)
        return None if note is None else ("", "", "", "", "", note, "", "", "")
    # charge
    payment, place = data.get("payment"), _optional(data, "place", escaped)
    if type(payment) is not dict or place is None:
        return None
    method = payment.get("method")
    if method == "cash":
        return ("", "", "", "", place, "", "cash", "", "")
    if method != "card":
        return None
    brand, last4 = payment.get("brand"), payment.get("last4")
    if type(brand) is not str or brand not in _BRANDS or type(last4) is not str or _LAST4.fullmatch(last4) is None:
        return None
    return ("", "", "", "", place, "", "card", brand, last4)
