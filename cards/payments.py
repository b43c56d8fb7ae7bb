"""Reads of what a member paid with a registered payment card (charges and
commuter passes) and of their refunds: the selectors receipts and refund
statements are built from (billing reads cards through these).

Every read is scoped to the member: another member's payment or refund is
simply not found.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, QuerySet

from cards.models import Card, CommuterPass, PaymentMethodKind, Refund, UsageKind, UsageRecord

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


def member_card_payments(member, *, start: datetime, end: datetime, limit: int | None = None) -> list[CardPayment]:
    """Charges and passes paid by card in ``[start, end)``, newest first: the list the
    「1件のお支払い」 choice offers, so the cheap way (the member's cards read once and
    shared, the charges with only the columns a payment shows) rather than a card joined
    and built again for every row. A charge's other columns load if asked for."""
    cards = {card.pk: card for card in Card.objects.filter(member=member)}
    charges = (
        _card_charges(start, end).filter(card_id__in=list(cards))
        .only("center_id", "occurred_at", "amount", "card_id").order_by("-occurred_at", "-id")
    )
    passes = _card_pass_purchases(start, end).filter(card_id__in=list(cards)).order_by("-paid_at", "-id")
    if limit is not None:
        charges, passes = charges[:limit], passes[:limit]
    payments = [
        CardPayment(ref=f"{CHARGE}:{c.center_id}", kind=CHARGE, at=c.occurred_at, amount=c.amount,
                    card=cards[c.card_id], charge=c)
        for c in charges
    ] + [
        CardPayment(ref=f"{PASS}:{p.center_id}", kind=PASS, at=p.paid_at, amount=p.price, card=cards[p.card_id],
                    commuter_pass=p)
        for p in passes
    ]
    payments.sort(key=lambda payment: payment.at, reverse=True)
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
