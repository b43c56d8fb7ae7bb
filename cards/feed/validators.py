"""Typed readers for the fields of one feed line (FEED.md), and the error they raise.

Each reader returns the validated value or raises ``FeedLineError`` with a reason an operator
can act on: it names the field as ``<type>.<field>`` (``usage.amount``, ``pass.payment.last4``),
says what is expected and shows what came. Pure standard library.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta, timezone

from .records import MAX_CHARS

#: Longest line accepted, in bytes of UTF-8 without the line break.
MAX_LINE_BYTES = 64 * 1024

#: The widest integer the feed may carry (a PostgreSQL ``integer``). FEED.md gives no bound
#: for money or points, but a larger value is malformed and would fail in the database
#: instead of rejecting the line.
INT_MIN = -(2**31)
INT_MAX = 2**31 - 1

ICOCA_NUMBER_PATTERN = "^JW[0-9A-Z]{15}$"
_ICOCA_NUMBER = re.compile(r"JW[0-9A-Z]{15}")
_LAST4 = re.compile(r"[0-9]{4}")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_TIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,6}))?)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})?"
)
_TIME_EXAMPLE = "2026-11-20T08:12:33+09:00"
_SHOW_MAX = 60


class FeedLineError(Exception):
    """A feed line that does not match FEED.md; ``reason`` says why, for the reject file."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


#: A UTF-8 byte order mark, dropped at the start of a file.
BOM = b"\xef\xbb\xbf"


def not_utf8(content: bytes, exc: UnicodeDecodeError) -> str:
    return (
        f"line is not valid UTF-8: {exc.reason}, byte 0x{content[exc.start]:02x} at byte "
        f"{exc.start + 1} of the line (the feed must be UTF-8; was it saved as Shift_JIS?)"
    )


def too_long(size: int) -> str:
    return (
        f"line is longer than {MAX_LINE_BYTES} bytes ({size} bytes); are line breaks missing between records?"
    )


def show(value: object) -> str:
    """A short rendering of a JSON value for a reason: 'text', 580, 580.0, true, null, [1]."""
    if isinstance(value, str):
        text = repr(value if len(value) <= _SHOW_MAX else value[: _SHOW_MAX - 3] + "...")
    else:
        text = json.dumps(value, ensure_ascii=False)
        text = text if len(text) <= _SHOW_MAX else text[: _SHOW_MAX - 3] + "..."
    # A lone surrogate (from a "\ud800" escape) cannot be written as UTF-8: escape it.
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def got_type(value: object) -> str:
    """'(got null)', "(got a string: '580')", '(got a boolean: true)'."""
    if value is None:
        return "(got null)"
    if isinstance(value, bool):
        kind = "a boolean"
    elif isinstance(value, int):
        kind = "an integer"
    elif isinstance(value, float):
        kind = "a decimal number"
    elif isinstance(value, str):
        kind = "a string"
    elif isinstance(value, list):
        kind = "an array"
    else:
        kind = "an object"
    return f"(got {kind}: {show(value)})"


def one_of(choices: tuple[object, ...]) -> str:
    """'card, cash or points'."""
    names = [str(choice) for choice in choices]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _range(at_least: int | None, at_most: int | None) -> str:
    if at_least is not None and at_most is not None:
        return f"must be between {at_least} and {at_most}"
    if at_least == 1:
        return "must be > 0"
    if at_least is not None:
        return f"must be >= {at_least}"
    if at_most == -1:
        return "must be < 0"
    return f"must be <= {at_most}"


class Fields:
    """The fields of one JSON object of a line: a record (``usage``) or a nested object
    (``usage.payment``)."""

    def __init__(self, data: dict[str, object], path: str, label: str = "") -> None:
        self.data = data
        self.path = path  # names a value in a reason: "usage.payment" + ".brand"
        self.label = label  # names a missing field as the line spells it: "payment." + "brand"

    # -- errors ---------------------------------------------------------------------------

    def error(self, name: str, problem: str) -> FeedLineError:
        return FeedLineError(f"{self.path}.{name} {problem}")

    def invalid(self, name: str, requirement: str, value: object, hint: str = "") -> FeedLineError:
        """'usage.amount must be < 0 for kind 'ride' (got 580)', plus '; <hint>'."""
        reason = f"{self.path}.{name} {requirement} (got {show(value)})"
        return FeedLineError(f"{reason}; {hint}" if hint else reason)

    def wrong_type(self, name: str, expected: str, value: object) -> FeedLineError:
        return self.error(name, f"must be {expected} {got_type(value)}")

    # -- presence -------------------------------------------------------------------------

    def value(self, name: str, *, context: str = "") -> object:
        """A required field (null is a value here); ``context`` says when it is required."""
        if name not in self.data:
            reason = f"missing required field '{self.label}{name}'"
            raise FeedLineError(f"{reason} (required {context})" if context else reason)
        return self.data[name]

    def nested(self, name: str, *, context: str = "") -> Fields:
        value = self.value(name, context=context)
        if not isinstance(value, dict):
            raise self.wrong_type(name, "an object", value)
        return Fields(value, f"{self.path}.{name}", f"{self.label}{name}.")

    # -- strings --------------------------------------------------------------------------

    def string(self, name: str, value: object) -> str:
        """Any string that can be stored: no NUL character, no unpaired surrogate."""
        if not isinstance(value, str):
            raise self.wrong_type(name, "a string", value)
        if "\x00" in value:
            raise self.error(name, f"{show(value)} contains a NUL character (\\u0000)")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise self.error(
                name, f"{show(value)} contains an unpaired surrogate (a \\ud800-\\udfff escape)"
            ) from None
        return value

    def text(self, name: str, *, context: str = "") -> str:
        """A required string, not empty nor only blanks, no longer than ``MAX_CHARS[name]``."""
        value = self.string(name, self.value(name, context=context))
        if not value.strip():
            raise self.invalid(name, "must not be empty", value)
        return self._short(name, value)

    def optional_text(self, name: str) -> str | None:
        """An optional string no longer than ``MAX_CHARS[name]``: absent and null are both None."""
        value = self.data.get(name)
        return None if value is None else self._short(name, self.string(name, value))

    def _short(self, name: str, value: str) -> str:
        max_chars = MAX_CHARS[name]
        if len(value) > max_chars:
            raise self.error(name, f"must be at most {max_chars} characters (got {len(value)}: {show(value)})")
        return value

    def choice(self, name: str, choices: tuple[str, ...], *, context: str = "", hint: str = "") -> str:
        value = self.value(name, context=context)
        if not isinstance(value, str) or value not in choices:
            raise self.invalid(name, f"must be {one_of(choices)}", value, hint)
        return value

    def id(self, name: str = "id") -> str:
        return self._id(name, self.value(name))

    def nullable_id(self, name: str) -> str | None:
        value = self.value(name)
        return None if value is None else self._id(name, value)

    def _id(self, name: str, value: object) -> str:
        text = self.string(name, value)
        if not text:
            raise self.invalid(name, "must not be empty", text)
        if len(text) > 64:
            raise self.error(name, f"{show(text)} is {len(text)} characters long (at most 64)")
        return text

    def wester_id(self, name: str = "wester_id") -> str:
        text = self.string(name, self.value(name))
        if not 1 <= len(text) <= 255:
            raise self.error(name, f"must be 1 to 255 characters long (got {len(text)}: {show(text)})")
        return text

    def icoca_number(self, name: str = "icoca_number") -> str:
        return self._icoca_number(name, self.value(name))

    def nullable_icoca_number(self, name: str) -> str | None:
        value = self.value(name)
        return None if value is None else self._icoca_number(name, value)

    def _icoca_number(self, name: str, value: object) -> str:
        text = self.string(name, value)
        if _ICOCA_NUMBER.fullmatch(text) is None:
            if _ICOCA_NUMBER.fullmatch(text.upper()):
                hint = " (letters must be upper case)"
            elif len(text) != 17:
                hint = f" ({len(text)} characters; it has 17)"
            else:
                hint = ""
            raise self.error(name, f"{show(text)} does not match {ICOCA_NUMBER_PATTERN}{hint}")
        return text

    def last4(self, name: str = "last4", *, context: str = "") -> str:
        text = self.string(name, self.value(name, context=context))
        if _LAST4.fullmatch(text) is None:
            raise self.invalid(name, "must be exactly 4 digits 0-9", text)
        return text

    # -- numbers --------------------------------------------------------------------------

    def integer(
        self, name: str, *, at_least: int | None = None, at_most: int | None = None, context: str = ""
    ) -> int:
        """A whole number: not a boolean, not 580.0, not "580"."""
        value = self.value(name, context=context)
        if isinstance(value, float):
            raise self.invalid(name, "must be a whole number written without a decimal point", value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.wrong_type(name, "an integer", value)
        if not INT_MIN <= value <= INT_MAX:
            raise self.invalid(name, f"is out of range: must be between {INT_MIN} and {INT_MAX}", value)
        if (at_least is not None and value < at_least) or (at_most is not None and value > at_most):
            raise self.invalid(name, _range(at_least, at_most), value)
        return value

    # -- times and dates ------------------------------------------------------------------

    def iso_time(self, name: str) -> datetime:
        """An ISO 8601 time with a UTC offset (Z or +hh:mm), returned in UTC."""
        text = self.string(name, self.value(name))
        match = _TIME.fullmatch(text)
        if match is None:
            raise self.error(name, f"{show(text)} is not an ISO 8601 time like {_TIME_EXAMPLE}")
        year, month, day, hour, minute, second, fraction, offset = match.groups()
        if offset is None:
            raise self.error(name, f"{show(text)} has no UTC offset (add one, like +09:00 for Japan time)")
        if offset == "Z":
            zone = UTC
        else:
            off_hours, off_minutes = int(offset[1:3]), int(offset[4:6])
            if off_hours > 23 or off_minutes > 59:
                raise self.error(name, f"{show(text)} has an out-of-range UTC offset {offset!r}")
            sign = -1 if offset[0] == "-" else 1
            zone = timezone(sign * timedelta(hours=off_hours, minutes=off_minutes))
        try:
            moment = datetime(
                int(year),
                int(month),
                int(day),
                int(hour),
                int(minute),
                int(second or 0),
                int((fraction or "0").ljust(6, "0")),
                tzinfo=zone,
            )
            return moment.astimezone(UTC)
        except (ValueError, OverflowError) as exc:
            raise self.error(name, f"{show(text)} is not a valid time: {exc}") from None

    def iso_date(self, name: str) -> date:
        """A date as YYYY-MM-DD, nothing more."""
        text = self.string(name, self.value(name))
        match = _DATE.fullmatch(text)
        if match is None:
            raise self.error(name, f"{show(text)} is not a date in YYYY-MM-DD form")
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError as exc:
            raise self.error(name, f"{show(text)} is not a valid date: {exc}") from None
