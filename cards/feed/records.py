"""The records of the card center feed (docs: FEED.md), once validated.

Pure data, no Django: ``parsing.parse_line`` builds them, the importer stores them.
Times are aware datetimes in UTC, dates are ``date`` (Japan dates), money and points ``int``.

``key`` is the center's id of a record (``icoca_number`` for a card, ``id`` otherwise).
Two lines are the same record when their content (``content.py``: the values the store keeps
and their digest) is equal, so a replayed line is "unchanged" and a different line with the
same key is a conflict. Unknown fields, and fields that do not belong to a usage kind, are
ignored and are not part of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar, TypeAlias

#: The record types, in the order one import applies them (FEED.md).
TYPES = ("card", "pass", "usage", "refund", "points")

DEVICES = ("android", "iphone", "apple_watch")
CARD_STATUSES = ("active", "deposited", "suspended", "reissued", "refunded")
PASS_KINDS = ("commuter", "student")
PASS_MONTHS = (1, 3, 6)
PAYMENT_METHODS = ("card", "cash", "points")
CHARGE_PAYMENT_METHODS = ("card", "cash")
DESTINATION_METHODS = ("card", "bank")
BRANDS = ("JCB", "VISA", "MASTERCARD", "AMEX")
USAGE_KINDS = ("ride", "bus", "purchase", "charge", "point_charge", "adjustment")
POINTS_KINDS = ("earn", "charge", "expire", "adjust")
MAX_BALANCE = 20000
# The longest text of each free-text field, in characters: what the store's columns hold.
MAX_CHARS = {
    "from": 100, "to": 100, "via": 200, "operator": 100, "merchant": 200, "place": 200, "note": 200,
    "category": 100,
}


@dataclass(frozen=True)
class _Method:
    """A way money moves; ``brand`` and ``last4`` are set for ``card`` only."""

    method: str
    brand: str | None = None
    last4: str | None = None


@dataclass(frozen=True)
class Payment(_Method):
    """How a pass or a charge was paid: ``card``, ``cash`` or ``points``."""


@dataclass(frozen=True)
class Destination(_Method):
    """Where a refund is paid: ``card`` or ``bank``."""


@dataclass(frozen=True)
class Fares:
    """The 1-, 3- and 6-month prices of a pass's section and kind (for refund maths)."""

    one_month: int
    three_months: int
    six_months: int

    def for_months(self, months: int) -> int:
        return {1: self.one_month, 3: self.three_months, 6: self.six_months}[months]


@dataclass(frozen=True)
class CardRecord:
    type: ClassVar[str] = "card"

    icoca_number: str
    wester_id: str
    issued_at: datetime
    device: str
    status: str
    replaces: str | None

    @property
    def key(self) -> str:
        return self.icoca_number


@dataclass(frozen=True)
class PassRecord:
    type: ClassVar[str] = "pass"

    id: str
    icoca_number: str
    kind: str
    from_station: str
    to_station: str
    via: str | None
    valid_from: date
    valid_until: date
    months: int
    price: int
    fares: Fares
    paid_at: datetime
    payment: Payment

    @property
    def key(self) -> str:
        return self.id


@dataclass(frozen=True)
class UsageRecord:
    """One usage line. The kind-specific fields are None for the other kinds: ``from_station``
    and ``to_station`` (ride), ``operator`` (bus), ``merchant`` (purchase), ``payment`` and
    ``place`` (charge), ``note`` (adjustment)."""

    type: ClassVar[str] = "usage"

    id: str
    icoca_number: str
    at: datetime
    kind: str
    amount: int
    balance: int
    from_station: str | None = None
    to_station: str | None = None
    operator: str | None = None
    merchant: str | None = None
    payment: Payment | None = None
    place: str | None = None
    note: str | None = None

    @property
    def key(self) -> str:
        return self.id


@dataclass(frozen=True)
class RefundRecord:
    type: ClassVar[str] = "refund"

    id: str
    icoca_number: str
    at: datetime
    balance: int
    pass_id: str | None
    fee: int
    total: int
    destination: Destination

    @property
    def key(self) -> str:
        return self.id


@dataclass(frozen=True)
class PointsRecord:
    type: ClassVar[str] = "points"

    id: str
    wester_id: str
    at: datetime
    kind: str
    points: int
    category: str | None

    @property
    def key(self) -> str:
        return self.id


Record: TypeAlias = CardRecord | PassRecord | UsageRecord | RefundRecord | PointsRecord
