"""The history's data: what a line is, where it comes from, what a page and
a month's totals hold, and a member's cards with their reissue chains.
Built from database rows by cards/history/reads.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import IntEnum
from functools import cached_property

from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cards.masking import payment_card_label
from cards.models import Brand, Card, DestinationMethod, PassKind, PaymentMethodKind, UsageKind
from cards.window import JAPAN
from portal.per_language import once_per_language
from portal.templatetags.money import signed_yen, yen

PAGE_SIZE = 50


class Source(IntEnum):
    """Where a history line comes from; also the tie-break between lines at
    the same instant (higher first)."""

    USAGE = 0
    PASS = 1
    REFUND = 2


PASS_KIND = "pass"  # noqa: S105 (a kind, not a password)
REFUND_KIND = "refund"

# Every kind a history line can have, in the order the filter offers them:
# the usage kinds of the feed, then pass purchases and refunds.
HISTORY_KINDS: dict[str, object] = {
    UsageKind.RIDE.value: UsageKind.RIDE.label,
    UsageKind.BUS.value: UsageKind.BUS.label,
    UsageKind.PURCHASE.value: UsageKind.PURCHASE.label,
    UsageKind.CHARGE.value: UsageKind.CHARGE.label,
    UsageKind.POINT_CHARGE.value: UsageKind.POINT_CHARGE.label,
    PASS_KIND: _("定期券"),
    REFUND_KIND: _("払いもどし"),
    UsageKind.ADJUSTMENT.value: UsageKind.ADJUSTMENT.label,
}
USAGE_KINDS = frozenset(UsageKind.values)


@dataclass(frozen=True, order=True)
class Position:
    """A place in the history order (newest first): the line at it and
    everything newer are behind the reader."""

    occurred_at: datetime
    source: int
    id: int


@dataclass(frozen=True)
class HistoryQuery:
    """What to read: these cards, ``start <= occurred_at < end`` (UTC
    instants; ``end`` None = no upper bound), these kinds (None = all)."""

    cards: tuple[Card, ...]
    start: datetime
    end: datetime | None = None
    kinds: frozenset[str] | None = None

    @property
    def card_ids(self) -> list[int]:
        return [card.pk for card in self.cards]

    def wants(self, source: Source) -> bool:
        if self.kinds is None:
            return True
        if source is Source.USAGE:
            return bool(self.kinds & USAGE_KINDS)
        return (PASS_KIND if source is Source.PASS else REFUND_KIND) in self.kinds


@dataclass(frozen=True)
class HistoryLine:
    """One line of the history, whatever its source. ``amount`` is signed yen
    from the member's side (a ride −580, a charge +3000, a pass purchase
    −price, a refund +total); ``balance`` is the stored value after it as the
    center reported it (None for pass purchases and refunds, which the center
    reports without one)."""

    source: Source
    id: int
    occurred_at: datetime
    kind: str
    card: Card
    amount: int
    balance: int | None
    from_station: str = ""
    to_station: str = ""
    merchant: str = ""  # where: the shop, the bus operator, the charge machine, an adjustment's note
    payment: str = ""  # how it was paid (or where a refund went): "VISA ••••4242", 現金, ...
    detail: str = ""  # a pass's kind, months and validity

    @property
    def position(self) -> Position:
        return Position(self.occurred_at, int(self.source), self.id)

    @cached_property
    def local_time(self) -> datetime:
        return self.occurred_at.astimezone(JAPAN)

    @property
    def month(self) -> tuple[int, int]:
        local = self.local_time
        return local.year, local.month


@dataclass(frozen=True)
class HistoryPage:
    lines: list[HistoryLine]
    next_position: Position | None  # None: this is the last page


@dataclass
class MonthTotal:
    """The sums of the filtered history over one Japan month (every line of
    the month that matches the filters, not only those on the page)."""

    year: int
    month: int
    total: int = 0
    paid: int = 0  # the sum of the negative amounts (≤ 0)
    received: int = 0  # the sum of the positive amounts (≥ 0)
    count: int = 0

    @property
    def total_text(self) -> str:
        return signed_yen(self.total)

    @property
    def paid_text(self) -> str:
        return signed_yen(self.paid)

    @property
    def received_text(self) -> str:
        return signed_yen(self.received)

    @property
    def spent_text(self) -> str:
        """What the month's rides, buses and purchases took, as a plain amount: ``18,260円``."""
        return yen(-self.paid)

    def add(self, *, total: int, paid: int, received: int, count: int) -> None:
        self.total += total
        self.paid += paid
        self.received += received
        self.count += count


@dataclass(frozen=True)
class MemberCards:
    """A member's cards, with each reissue chain (a card and the cards it
    replaces) read as one."""

    cards: list[Card]
    by_id: dict[int, Card] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {card.pk: card for card in self.cards})

    @property
    def current(self) -> list[Card]:
        """The newest card of every chain: those no card of the member replaces."""
        replaced = {card.replaces_id for card in self.cards if card.replaces_id}
        return [card for card in self.cards if card.pk not in replaced]

    def by_public_id(self, public_id: str) -> Card | None:
        wanted = str(public_id).strip().lower()
        return next((card for card in self.cards if str(card.public_id) == wanted), None)

    def newest_of(self, card: Card) -> Card:
        """The current card of ``card``'s chain (``card`` itself when it was never reissued)."""
        replaced_by = {c.replaces_id: c for c in self.cards if c.replaces_id}
        seen = {card.pk}
        while card.pk in replaced_by and replaced_by[card.pk].pk not in seen:
            card = replaced_by[card.pk]
            seen.add(card.pk)
        return card

    def chain(self, card: Card) -> list[Card]:
        """``card``'s whole reissue chain, newest first: the card that
        replaced it (if the member picked an old one) and every card it
        replaces, following ``replaces``."""
        card = self.newest_of(card)
        chain = [card]
        while card.replaces_id and card.replaces_id in self.by_id and self.by_id[card.replaces_id] not in chain:
            card = self.by_id[card.replaces_id]
            chain.append(card)
        return chain




# --- A line from a row ------------------------------------------------------------------


# The choices' values, once (``Brand.values`` builds a new list at every use).
_BRANDS = frozenset(Brand.values)
_PAYMENT_METHODS = frozenset(PaymentMethodKind.values)
_PASS_KINDS = frozenset(PassKind.values)
# Which column says where a usage line happened, by kind (else ``merchant``).
_WHERE = {
    UsageKind.PURCHASE: "merchant",
    UsageKind.BUS: "operator",
    UsageKind.CHARGE: "place",
    UsageKind.ADJUSTMENT: "note",
}


def _payment_names() -> dict[str, dict[str, str]]:
    """The brands' and the payment methods' names in the active language (a history page
    names a payment on most of its lines: each name was a lazy translation made again)."""
    return {
        "brands": {brand: str(Brand(brand).label) for brand in _BRANDS},
        "methods": {method: str(PaymentMethodKind(method).label) for method in _PAYMENT_METHODS}
        | {DestinationMethod.BANK.value: str(DestinationMethod.BANK.label)},
    }


payment_names = once_per_language(_payment_names)


def payment_text(method: str, brand: str = "", last4: str = "", *, names: dict[str, dict[str, str]] | None = None) -> str:
    """``VISA ••••4242`` for a payment card, else the method's name (``names``: the
    :func:`payment_names` of the active language, when the caller has them already)."""
    names = names or payment_names()
    if method == PaymentMethodKind.CARD and brand and last4:
        return payment_card_label(names["brands"].get(brand, brand), last4)
    return names["methods"].get(method, "")


@dataclass(frozen=True)
class Row:
    """One row of the history query (cards/history/reads.py), whatever its
    source: the usage columns, and a pass's kind, months and validity."""

    source: int
    id: int
    card_id: int
    occurred_at: datetime
    kind: str
    amount: int
    balance: int | None
    from_station: str
    to_station: str
    operator: str
    merchant: str
    place: str
    note: str
    payment_method: str
    payment_brand: str
    payment_last4: str
    pass_kind: str | None
    months: int | None
    valid_from: date | None
    valid_until: date | None


def line_from_row(row: Row, cards: dict[int, Card], names: dict[str, dict[str, str]]) -> HistoryLine:
    """The line of ``row``; ``names``: the :func:`payment_names` of the active language, looked
    up once for a page's lines (each look-up reads the language, the URL configuration and the
    script prefix from their context-local stores: about 0.3 ms a page of fifty lines)."""
    source = Source(row.source)
    payment = payment_text(row.payment_method, row.payment_brand, row.payment_last4, names=names)
    merchant, detail = "", ""
    if source is Source.USAGE:
        where = _WHERE.get(row.kind)
        merchant = (getattr(row, where) if where else "") or row.merchant
        if row.kind == UsageKind.POINT_CHARGE and not payment:
            payment = names["methods"][PaymentMethodKind.POINTS]
    elif source is Source.PASS:
        detail = gettext("%(kind)s・%(months)sか月（%(start)s〜%(end)s）") % {
            "kind": PassKind(row.pass_kind).label if row.pass_kind in _PASS_KINDS else row.pass_kind,
            "months": row.months,
            "start": date_format(row.valid_from, "SHORT_DATE_FORMAT"),
            "end": date_format(row.valid_until, "SHORT_DATE_FORMAT"),
        }
    return HistoryLine(
        source=source,
        id=row.id,
        occurred_at=row.occurred_at,
        kind=row.kind,
        card=cards[row.card_id],
        amount=row.amount,
        balance=row.balance,
        from_station=row.from_station or "",
        to_station=row.to_station or "",
        merchant=merchant,
        payment=payment,
        detail=detail,
    )
