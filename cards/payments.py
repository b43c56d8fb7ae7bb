"""Reads of what a member paid with a registered payment card (charges and
commuter passes) and of their refunds: the selectors receipts and refund
statements are built from (billing reads cards through these).

Every read is scoped to the member: another member's payment or refund is
simply not found.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import connections, router
from django.db.models import Count, Max, QuerySet

from cards.models import Card, CommuterPass, PaymentMethodKind, Refund, UsageKind, UsageRecord
from portal.fields import read_datetime

CHARGE = "charge"
PASS = "pass"  # noqa: S105 (a commuter pass, not a password)


def _member_card_ids(member) -> QuerySet:
    return Card.objects.filter(member=member).values("id")


def _card_charges(start: datetime, end: datetime) -> QuerySet[UsageRecord]:
    """Everyone's charges paid by registered card (never cash or point charges) in ``[start, end)``."""
    return UsageRecord.objects.filter(
        kind=UsageKind.CHARGE, payment_method=PaymentMethodKind.CARD, occurred_at__gte=start, occurred_at__lt=end
    )


def _card_pass_purchases(start: datetime, end: datetime) -> QuerySet[CommuterPass]:
    """Everyone's commuter passes paid by registered card in ``[start, end)``."""
    return CommuterPass.objects.filter(payment_method=PaymentMethodKind.CARD, paid_at__gte=start, paid_at__lt=end)


def members_paid_by_card(*, start: datetime, end: datetime) -> set[int]:
    """The ids of the members who paid a charge or a pass by registered card in ``[start, end)``."""
    charges = _card_charges(start, end).values_list("card__member_id", flat=True)
    passes = _card_pass_purchases(start, end).values_list("card__member_id", flat=True)
    return set(charges) | set(passes)


def member_card_charges(member, *, start: datetime, end: datetime) -> QuerySet[UsageRecord]:
    """Charges paid by registered card with ``start <= occurred_at < end``
    (never cash or point charges), oldest first, with their card."""
    return (
        _card_charges(start, end)
        .filter(card_id__in=_member_card_ids(member))
        .select_related("card")
        .order_by("occurred_at", "id")
    )


def member_card_pass_purchases(member, *, start: datetime, end: datetime) -> QuerySet[CommuterPass]:
    """Commuter passes paid by registered card with ``start <= paid_at < end``."""
    return (
        _card_pass_purchases(start, end)
        .filter(card__member=member)
        .select_related("card")
        .order_by("paid_at", "id")
    )


@dataclass(frozen=True)
class CardPayment:
    """One payment by registered card, as a form offers it: ``ref`` is
    ``charge:<center id>`` or ``pass:<center id>``."""

    ref: str
    kind: str
    at: datetime
    amount: int
    card: Card
    commuter_pass: CommuterPass | None = None
    charge: UsageRecord | None = None


#: The charges and passes the 「1件のお支払い」 choice offers, newest first, in one statement
#: written out rather than two querysets built by the ORM: compiling them (the filters,
#: ``only()``, the orders, the limits) and making their rows was most of the choice's CPU
#: (2.7 ms with the ORM and the cards' query; about 0.4 ms for this, the cards given; 300
#: reads, medians, 2026-12-07). ``{cards}`` is one placeholder a card; each part keeps its
#: own order and limit.
CARD_PAYMENTS_SQL = (
    "SELECT * FROM (SELECT '{charge}' AS kind, u.id, u.center_id, u.occurred_at AS at, u.amount, u.card_id,"
    " '' AS from_station, '' AS to_station FROM {usage} u WHERE u.card_id IN ({cards}) AND u.kind = %s"
    " AND u.payment_method = %s AND u.occurred_at >= %s AND u.occurred_at < %s"
    " ORDER BY u.occurred_at DESC, u.id DESC LIMIT {limit}) AS charges"
    " UNION ALL SELECT * FROM (SELECT '{bought}' AS kind, p.id, p.center_id, p.paid_at AS at, p.price AS amount, p.card_id,"
    " p.from_station, p.to_station FROM {passes} p WHERE p.card_id IN ({cards}) AND p.payment_method = %s"
    " AND p.paid_at >= %s AND p.paid_at < %s ORDER BY p.paid_at DESC, p.id DESC LIMIT {limit}) AS passes"
)


def _partial(model, database: str, **values):
    """A ``model`` row with only ``values`` loaded, its other columns deferred (as ``only()``
    makes them: read if asked for)."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(database, names, [values[name] for name in names])


def member_card_payments(
    member, *, start: datetime, end: datetime, limit: int | None = None, cards: Iterable[Card] | None = None
) -> list[CardPayment]:
    """Charges and passes paid by card in ``[start, end)``, newest first: the list the
    「1件のお支払い」 choice offers, so the cheap way: the member's cards read once and shared
    (``cards``: every card of the member, when the caller has them already), the charges and
    passes in one statement (:data:`CARD_PAYMENTS_SQL`) with only the columns a payment shows;
    their other columns load if asked for (as ``only()`` does)."""
    if cards is None:
        cards = Card.objects.filter(member=member)
    by_pk = {card.pk: card for card in cards if card.member_id == member.pk}
    if not by_pk:
        return []
    database = router.db_for_read(UsageRecord)
    sql = CARD_PAYMENTS_SQL.format(
        usage=UsageRecord._meta.db_table, passes=CommuterPass._meta.db_table,
        cards=", ".join(["%s"] * len(by_pk)), limit=int(limit) if limit is not None else 2**63 - 1,
        charge=CHARGE, bought=PASS,
    )
    params = [*by_pk, UsageKind.CHARGE, PaymentMethodKind.CARD, start, end, *by_pk, PaymentMethodKind.CARD, start, end]
    with connections[database].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    card_field = CommuterPass._meta.get_field("card")
    payments = []
    for kind, pk, center_id, at, amount, card_id, from_station, to_station in rows:
        at, card = read_datetime(at), by_pk[card_id]
        if kind == CHARGE:
            charge = _partial(UsageRecord, database, id=pk, center_id=center_id, occurred_at=at, amount=amount,
                              card_id=card_id)
            payments.append(CardPayment(ref=f"{CHARGE}:{center_id}", kind=CHARGE, at=at, amount=amount, card=card,
                                        charge=charge))
        else:
            bought = _partial(CommuterPass, database, id=pk, center_id=center_id, paid_at=at, price=amount,
                              card_id=card_id, from_station=from_station, to_station=to_station)
            card_field.set_cached_value(bought, card)
            payments.append(CardPayment(ref=f"{PASS}:{center_id}", kind=PASS, at=at, amount=amount, card=card,
                                        commuter_pass=bought))
    # Newest first; at the same time a charge before a pass, the later row first (as the two
    # ordered reads put one after the other gave).
    payments.sort(key=lambda payment: (payment.at, payment.kind == CHARGE, (payment.charge or payment.commuter_pass).pk),
                  reverse=True)
    return payments[:limit] if limit is not None else payments


def member_card_payment(member, ref: str) -> CardPayment | None:
    """The member's card payment named by ``ref``, or ``None``."""
    kind, _, center_id = (ref or "").partition(":")
    if kind == CHARGE and center_id:
        charge = (
            UsageRecord.objects.filter(
                card_id__in=_member_card_ids(member), center_id=center_id, kind=UsageKind.CHARGE,
                payment_method=PaymentMethodKind.CARD,
            )
            .select_related("card")
            .first()
        )
        if charge:
            return CardPayment(ref=ref, kind=CHARGE, at=charge.occurred_at, amount=charge.amount, card=charge.card,
                               charge=charge)
    elif kind == PASS and center_id:
        bought = (
            CommuterPass.objects.filter(card__member=member, center_id=center_id, payment_method=PaymentMethodKind.CARD)
            .select_related("card")
            .first()
        )
        if bought:
            return CardPayment(ref=ref, kind=PASS, at=bought.paid_at, amount=bought.price, card=bought.card,
                               commuter_pass=bought)
    return None


def member_refunds(member) -> QuerySet[Refund]:
    """Every refund of the member's cards, the latest first, with card and pass."""
    return (
        Refund.objects.filter(card__member=member)
        .select_related("card", "commuter_pass")
        .order_by("-refunded_at", "-id")
    )


@dataclass(frozen=True)
class PaymentCardUsed:
    """A payment card the card center's feed says paid for the member's charges or passes."""

    brand: str
    last4: str
    payments: int
    last_paid_at: datetime


def member_payment_cards_used(member) -> list[PaymentCardUsed]:
    """Each payment card (brand and last four digits) that paid a charge or a
    pass on the member's cards, the most used first: two grouped queries."""
    found: dict[tuple[str, str], tuple[int, datetime]] = {}
    charges = (
        UsageRecord.objects.filter(
            card_id__in=_member_card_ids(member), kind=UsageKind.CHARGE, payment_method=PaymentMethodKind.CARD
        )
        .values_list("payment_brand", "payment_last4")
        .annotate(n=Count("id"), last=Max("occurred_at"))
        .order_by()
    )
    passes = (
        CommuterPass.objects.filter(card__member=member, payment_method=PaymentMethodKind.CARD)
        .values_list("payment_brand", "payment_last4")
        .annotate(n=Count("id"), last=Max("paid_at"))
        .order_by()
    )
    for brand, last4, count, last in [*charges, *passes]:
        if not (brand and last4):
            continue
        before = found.get((brand, last4))
        if before is not None:
            count, last = count + before[0], max(last, before[1])
        found[brand, last4] = (count, last)
    used = [PaymentCardUsed(brand, last4, count, last) for (brand, last4), (count, last) in found.items()]
    used.sort(key=lambda card: (-card.payments, -card.last_paid_at.timestamp(), card.brand, card.last4))
    return used
