"""What the importer stores of a record, its digest, and what differs between two versions.

Django-free. ``values(record)`` is the record's content as the store keeps it: a tuple of
``str`` and ``int`` in the order of ``FIELDS[record.type]``, named as the feed names them
(``from``, ``payment.brand``). Times are ISO 8601 in UTC, dates ``YYYY-MM-DD``; an absent
optional text (``None``) is ``""``, as the store keeps it, so a line that leaves ``via`` out
and a replay that sends ``"via": ""`` are the same record.

``content_text(values)`` writes them as one line of PostgreSQL's COPY text format (fields
joined by tabs; backslash, tab, line feed and carriage return escaped), an unambiguous form
that the PostgreSQL importer also sends to COPY. ``digest(values)`` is the SHA-256 of that
text, its first 128 bits in hex (32 characters: as safe as the whole to tell two versions
of one record apart, and half the bytes to store and log for every usage line): two lines
are the same record exactly when their digests are equal. The ``digest`` column of each
feed-written table holds it.

``differences(stored, new)`` names the fields that differ, for a conflict's reason.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone

from .records import PassRecord, PointsRecord, Record, RefundRecord, UsageRecord

FIELDS: dict[str, tuple[str, ...]] = {
    "usage": (
        "id", "icoca_number", "at", "kind", "amount", "balance", "from", "to", "operator",
        "merchant", "place", "note", "payment.method", "payment.brand", "payment.last4",
    ),
    "pass": (
        "id", "icoca_number", "kind", "from", "to", "via", "valid_from", "valid_until", "months",
        "price", "fares.1", "fares.3", "fares.6", "paid_at", "payment.method", "payment.brand",
        "payment.last4",
    ),
    "refund": (
        "id", "icoca_number", "at", "balance", "pass_id", "fee", "total", "destination.method",
        "destination.brand", "destination.last4",
    ),
    "points": ("id", "wester_id", "at", "kind", "points", "category"),
}
_TIMES = frozenset({"at", "paid_at", "issued_at"})
_JAPAN = timezone(timedelta(hours=9))

Values = tuple[str | int, ...]


def utc_text(moment: datetime) -> str:
    """An aware time as the store's text: ISO 8601 in UTC (``2026-11-19T23:12:33+00:00``)."""
    return moment.astimezone(UTC).isoformat()


def usage_values(record: UsageRecord) -> Values:
    payment = record.payment
    return (
        record.id, record.icoca_number, utc_text(record.at), record.kind, record.amount, record.balance,
        record.from_station or "", record.to_station or "", record.operator or "", record.merchant or "",
        record.place or "", record.note or "",
        payment.method if payment else "", (payment.brand or "") if payment else "",
        (payment.last4 or "") if payment else "",
    )


def pass_values(record: PassRecord) -> Values:
    payment, fares = record.payment, record.fares
    return (
        record.id, record.icoca_number, record.kind, record.from_station, record.to_station, record.via or "",
        record.valid_from.isoformat(), record.valid_until.isoformat(), record.months, record.price,
        fares.one_month, fares.three_months, fares.six_months, utc_text(record.paid_at),
        payment.method, payment.brand or "", payment.last4 or "",
    )


def refund_values(record: RefundRecord) -> Values:
    destination = record.destination
    return (
        record.id, record.icoca_number, utc_text(record.at), record.balance, record.pass_id or "", record.fee,
        record.total, destination.method, destination.brand or "", destination.last4 or "",
    )


def points_values(record: PointsRecord) -> Values:
    return (
        record.id, record.wester_id, utc_text(record.at), record.kind, record.points, record.category or "",
    )


_VALUES = {"usage": usage_values, "pass": pass_values, "refund": refund_values, "points": points_values}


def values(record: Record) -> Values:
    """The stored content of a pass, usage, refund or points record."""
    return _VALUES[record.type](record)


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def content_text(content: Values) -> str:
    """The values as a line of COPY text (without the line break)."""
    return "\t".join(str(value).translate(_ESCAPES) for value in content)


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


_UNESCAPES = {"\\\\": "\\", "\\t": "\t", "\\n": "\n", "\\r": "\r"}


def unescape(field: str) -> str:
    """One field of COPY text as it was before ``content_text`` escaped it."""
    if "\\" not in field:
        return field
    out, i = [], 0
    while i < len(field):
        pair = field[i : i + 2]
        if pair in _UNESCAPES:
            out.append(_UNESCAPES[pair])
            i += 2
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def usage_values_from_text(text: str) -> Values:
    """The inverse of ``content_text`` for a usage record's values."""
    fields = [unescape(field) for field in text.split("\t")]
    fields[4], fields[5] = int(fields[4]), int(fields[5])
    return tuple(fields)


def digest(content: Values) -> str:
    return text_digest(content_text(content))


def _shown(name: str, value: str | int) -> str:
    if value == "":
        return "(none)"
    if name in _TIMES and isinstance(value, str):
        try:
            return datetime.fromisoformat(value).astimezone(_JAPAN).isoformat()
        except ValueError:
            return repr(value)
    return repr(value) if isinstance(value, str) else str(value)


def differences(record_type: str, stored: Sequence[str | int], new: Sequence[str | int]) -> str:
    """``amount (stored -580, this line -600); to (stored '京都', this line '新大阪')``.

    Times are shown in Japan time, as the feed writes them."""
    parts = [
        f"{name} (stored {_shown(name, old)}, this line {_shown(name, value)})"
        for name, old, value in zip(FIELDS[record_type], stored, new, strict=True)
        if old != value
    ]
    return "; ".join(parts) if parts else "the stored digest differs (no field differs as stored)"


def conflict_reason(record_type: str, key: str, what_differs: str) -> str:
    return (
        f"conflict: {record_type} id {key!r} is already stored with different content: {what_differs}. "
        "A record never changes once imported; send a new record with a new id"
    )
