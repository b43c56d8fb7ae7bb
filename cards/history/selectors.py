"""Reads of the usage history (利用履歴): one member's cards, their usage
records, commuter pass purchases and refunds, merged newest first.

Paging is by keyset, never OFFSET: a page is "the next N lines after this
position", where a position is ``(occurred_at, source, id)`` and the order is
that triple descending. Each source is read with its own index from the
position on (``usage_card_time`` for usage, on PostgreSQL one ordered index
scan per card so that the planner never sorts a member's whole year), at most
N+1 rows each; the three are merged in Python. So a page costs the same
number of queries and about the same time on the first page and a hundred
pages deep.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import IntEnum
from functools import cached_property, reduce

from django.db import connection
from django.db.models import Count, F, IntegerField, Q, QuerySet, Sum, Value
from django.db.models.lookups import GreaterThan, LessThan
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cards.history.formatting import WhenFormat, signed_yen, yen
from cards.models import Brand, Card, CommuterPass, DestinationMethod, PaymentMethodKind, Refund, UsageKind, UsageRecord
from cards.window import JAPAN, japan_month_bounds

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

    def display(self, when: WhenFormat) -> dict[str, object]:
        """What the page shows of the line, as plain strings (a dict is the
        cheapest thing for a template to read, fifty times a page)."""
        card = self.card
        return {
            "kind": self.kind,
            "kind_label": self.kind_label,
            "iso": self.local_time.isoformat(),
            "when": when(self.local_time),
            "route": self.route,
            "merchant": self.merchant,
            "detail": self.detail,
            "payment": self.payment_text,
            "card": f"{card.nickname or 'ICOCA'}",
            "number": card.masked_number,
            "amount": self.amount_text,
            "plus": self.amount > 0,
            "balance": self.balance_text,
        }

    @property
    def payment_text(self) -> str:
        """How it was paid, or where a refund went, in words."""
        if not self.payment:
            return ""
        if self.kind == REFUND_KIND:
            return gettext("払いもどし先: %(to)s") % {"to": self.payment}
        return gettext("支払い: %(by)s") % {"by": self.payment}

    @property
    def month(self) -> tuple[int, int]:
        local = self.local_time
        return local.year, local.month

    @property
    def kind_label(self) -> str:
        return str(HISTORY_KINDS.get(self.kind, self.kind))

    @property
    def route(self) -> str:
        """``大阪 → 京都`` (a ride, a pass's section)."""
        if self.from_station and self.to_station:
            return f"{self.from_station} → {self.to_station}"
        return self.from_station or self.to_station

    @property
    def amount_text(self) -> str:
        return signed_yen(self.amount)

    @property
    def balance_text(self) -> str:
        return "" if self.balance is None else yen(self.balance)


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


def member_cards(member) -> MemberCards:
    """Every card of ``member`` (any status: old cards still have history). One query."""
    return MemberCards(list(Card.objects.filter(member=member).order_by("issued_at", "id")))


# --- Lines from each source ------------------------------------------------------


def payment_text(method: str, brand: str = "", last4: str = "") -> str:
    """``VISA ••••4242`` for a payment card, else the method's name."""
    if method == PaymentMethodKind.CARD and brand and last4:
        return f"{Brand(brand).label if brand in Brand.values else brand} ••••{last4}"
    if method == DestinationMethod.BANK:
        return str(DestinationMethod.BANK.label)
    if method in PaymentMethodKind.values:
        return str(PaymentMethodKind(method).label)
    return ""


# What a usage line needs: read as plain rows, not model instances.
USAGE_FIELDS = (
    "id", "card_id", "occurred_at", "kind", "amount", "balance", "from_station", "to_station", "operator",
    "merchant", "place", "note", "payment_method", "payment_brand", "payment_last4",
)


def _usage_line(record, cards: dict[int, Card]) -> HistoryLine:
    """``record``: a row with the ``USAGE_FIELDS``."""
    merchant = {
        UsageKind.PURCHASE: record.merchant,
        UsageKind.BUS: record.operator,
        UsageKind.CHARGE: record.place,
        UsageKind.ADJUSTMENT: record.note,
    }.get(record.kind, "") or record.merchant
    payment = payment_text(record.payment_method, record.payment_brand, record.payment_last4)
    if record.kind == UsageKind.POINT_CHARGE and not payment:
        payment = str(PaymentMethodKind.POINTS.label)
    return HistoryLine(
        source=Source.USAGE,
        id=record.id,
        occurred_at=record.occurred_at,
        kind=record.kind,
        card=cards[record.card_id],
        amount=record.amount,
        balance=record.balance,
        from_station=record.from_station,
        to_station=record.to_station,
        merchant=merchant,
        payment=payment,
    )


def _pass_line(commuter_pass: CommuterPass, cards: dict[int, Card]) -> HistoryLine:
    detail = _("%(kind)s・%(months)sか月（%(start)s〜%(end)s）") % {
        "kind": commuter_pass.get_kind_display(),
        "months": commuter_pass.months,
        "start": commuter_pass.valid_from.strftime("%Y/%m/%d"),
        "end": commuter_pass.valid_until.strftime("%Y/%m/%d"),
    }
    return HistoryLine(
        source=Source.PASS,
        id=commuter_pass.pk,
        occurred_at=commuter_pass.paid_at,
        kind=PASS_KIND,
        card=cards[commuter_pass.card_id],
        amount=-commuter_pass.price,
        balance=None,
        from_station=commuter_pass.from_station,
        to_station=commuter_pass.to_station,
        payment=payment_text(commuter_pass.payment_method, commuter_pass.payment_brand, commuter_pass.payment_last4),
        detail=str(detail),
    )


def _refund_line(refund: Refund, cards: dict[int, Card]) -> HistoryLine:
    return HistoryLine(
        source=Source.REFUND,
        id=refund.pk,
        occurred_at=refund.refunded_at,
        kind=REFUND_KIND,
        card=cards[refund.card_id],
        amount=refund.total,
        balance=None,
        payment=payment_text(refund.destination_method, refund.destination_brand, refund.destination_last4),
    )


# --- Keyset reads ----------------------------------------------------------------------


def _after(field_name: str, source: Source, position: Position | None) -> Q:
    """Rows of ``source`` that come after ``position`` in the order
    ``(occurred_at, source, id)`` descending. The plain ``<=`` bound is
    always there so that PostgreSQL prunes the newer partitions and starts
    the index scan at the position."""
    if position is None:
        return Q()
    bound = Q(**{f"{field_name}__lte": position.occurred_at})
    if source < position.source:
        return bound
    if source > position.source:
        return Q(**{f"{field_name}__lt": position.occurred_at})
    return bound & (Q(**{f"{field_name}__lt": position.occurred_at}) | Q(**{field_name: position.occurred_at, "pk__lt": position.id}))


def _in_range(field_name: str, query: HistoryQuery) -> Q:
    condition = Q(**{f"{field_name}__gte": query.start})
    if query.end is not None:
        condition &= Q(**{f"{field_name}__lt": query.end})
    return condition


def _usage_queryset(query: HistoryQuery, position: Position | None, limit: int) -> QuerySet | list:
    if not query.wants(Source.USAGE) or not query.cards:
        return []
    base = UsageRecord.objects.filter(
        _in_range("occurred_at", query), _after("occurred_at", Source.USAGE, position)
    ).values_list(*USAGE_FIELDS, named=True)
    if query.kinds is not None:
        base = base.filter(kind__in=sorted(query.kinds & USAGE_KINDS))
    order = ("-occurred_at", "-id")
    card_ids = query.card_ids
    if len(card_ids) == 1 or not connection.features.supports_slicing_ordering_in_compound:
        return base.filter(card_id__in=card_ids).order_by(*order)[:limit]
    # One index-ordered scan per card, each stopping after ``limit`` rows,
    # instead of gathering all of a member's rows to sort them.
    parts = [base.filter(card_id=card_id).order_by(*order)[:limit] for card_id in card_ids]
    return reduce(lambda a, b: a.union(b, all=True), parts).order_by(*order)[:limit]


def _pass_queryset(query: HistoryQuery, position: Position | None, limit: int):
    if not query.wants(Source.PASS) or not query.cards:
        return []
    return (
        CommuterPass.objects.filter(card_id__in=query.card_ids)
        .filter(_in_range("paid_at", query), _after("paid_at", Source.PASS, position))
        .order_by("-paid_at", "-id")[:limit]
    )


def _refund_queryset(query: HistoryQuery, position: Position | None, limit: int):
    if not query.wants(Source.REFUND) or not query.cards:
        return []
    return (
        Refund.objects.filter(card_id__in=query.card_ids)
        .filter(_in_range("refunded_at", query), _after("refunded_at", Source.REFUND, position))
        .order_by("-refunded_at", "-id")[:limit]
    )


def _newest_first(line: HistoryLine) -> tuple[datetime, int, int]:
    return (line.occurred_at, int(line.source), line.id)


def _read(query: HistoryQuery, position: Position | None, limit: int) -> list[HistoryLine]:
    """The first ``limit`` lines after ``position``: at most one query per source."""
    cards = {card.pk: card for card in query.cards}
    streams = [
        [_usage_line(r, cards) for r in _usage_queryset(query, position, limit)],
        [_pass_line(p, cards) for p in _pass_queryset(query, position, limit)],
        [_refund_line(r, cards) for r in _refund_queryset(query, position, limit)],
    ]
    merged = heapq.merge(*streams, key=_newest_first, reverse=True)
    return [line for _, line in zip(range(limit), merged, strict=False)]


def history_page(query: HistoryQuery, *, after: Position | None = None, size: int = PAGE_SIZE) -> HistoryPage:
    """One page of ``size`` lines, newest first, after ``after``."""
    lines = _read(query, after, size + 1)
    if len(lines) > size:
        return HistoryPage(lines[:size], lines[size - 1].position)
    return HistoryPage(lines, None)


def history_lines(query: HistoryQuery, *, batch: int = 1000) -> Iterator[HistoryLine]:
    """Every line, newest first, read ``batch`` at a time with the keyset,
    so a year of history is streamed in constant memory."""
    position = None
    while True:
        page = history_page(query, after=position, size=batch)
        yield from page.lines
        if page.next_position is None:
            return
        position = page.next_position


# --- Totals per month -------------------------------------------------------------------


def _month_part(queryset: QuerySet, field_name: str, amount, month: tuple[int, int], query: HistoryQuery) -> QuerySet:
    """One aggregate row ``(year*100+month, total, paid, received, count)``
    over one Japan month of ``queryset``. The month's bounds are constants,
    so PostgreSQL reads that month's partition only and no row's time needs
    converting."""
    start, end = japan_month_bounds(*month)
    start, end = max(start, query.start), end if query.end is None else min(end, query.end)
    return (
        queryset.filter(**{f"{field_name}__gte": start, f"{field_name}__lt": end})
        .values(history_month=Value(month[0] * 100 + month[1], output_field=IntegerField()))
        .annotate(
            history_total=Sum(amount),
            history_paid=Sum(amount, filter=LessThan(amount, 0)),
            history_received=Sum(amount, filter=GreaterThan(amount, 0)),
            history_count=Count("pk"),
        )
        .values_list("history_month", "history_total", "history_paid", "history_received", "history_count")
        .order_by()
    )


def month_totals(query: HistoryQuery, months: Iterable[tuple[int, int]]) -> list[MonthTotal]:
    """The totals of the filtered history for each of ``months`` (Japan
    ``(year, month)``, e.g. those a page shows), newest first, in one query
    whatever the number of rows behind them."""
    months = sorted(set(months), reverse=True)
    totals = {month: MonthTotal(*month) for month in months}
    if not months or not query.cards:
        return list(totals.values())
    sources = []
    if query.wants(Source.USAGE):
        usage = UsageRecord.objects.filter(card_id__in=query.card_ids)
        if query.kinds is not None:
            usage = usage.filter(kind__in=sorted(query.kinds & USAGE_KINDS))
        sources.append((usage, "occurred_at", F("amount")))
    if query.wants(Source.PASS):
        sources.append((CommuterPass.objects.filter(card_id__in=query.card_ids), "paid_at", Value(0) - F("price")))
    if query.wants(Source.REFUND):
        sources.append((Refund.objects.filter(card_id__in=query.card_ids), "refunded_at", F("total")))
    parts = [
        _month_part(queryset, field_name, amount, month, query)
        for month in months
        for queryset, field_name, amount in sources
    ]
    combined = parts[0] if len(parts) == 1 else reduce(lambda a, b: a.union(b, all=True), parts)
    for key, total, paid, received, count in combined:
        totals[divmod(key, 100)].add(total=total or 0, paid=paid or 0, received=received or 0, count=count)
    return list(totals.values())


# --- Helpers for the callers ---------------------------------------------------------------


def japan_day_start(day: date) -> datetime:
    """The UTC instant a Japan date starts."""
    return datetime(day.year, day.month, day.day, tzinfo=JAPAN)


def japan_day_end(day: date) -> datetime:
    """The instant the Japan date after ``day`` starts (exclusive end)."""
    return japan_day_start(day + timedelta(days=1))


def query_for(
    cards: Sequence[Card], *, first_day: date, last_day: date | None, kinds: Iterable[str] | None
) -> HistoryQuery:
    return HistoryQuery(
        cards=tuple(cards),
        start=japan_day_start(first_day),
        end=None if last_day is None else japan_day_end(last_day),
        kinds=None if kinds is None else frozenset(kinds),
    )
