"""A member's stored payment cards: which one is the default, removing one
(never the last while the member has an active card), and the demo data's
cards. Every change is in the member's audit trail and sends a security
notice where the member should know."""

from __future__ import annotations

import hashlib
import logging
from datetime import date

from django.db import transaction
from django.utils import timezone

from accounts.services import audit_record, security_notice_queue
from billing.payment_methods.exceptions import LastPaymentMethodInUse, PaymentMethodExpired, PaymentMethodNotFound
from billing.payment_methods.models import Brand, Funding, PaymentMethod
from billing.payment_methods.providers import get_provider
from cards.payments import member_payment_cards_used
from cards.selectors import member_has_active_card
from cards.window import japan_today

logger = logging.getLogger(__name__)


def _locked_methods(member) -> list[PaymentMethod]:
    return list(
        PaymentMethod.objects.select_for_update().filter(member=member, removed_at__isnull=True).order_by(
            "-created_at", "-id"
        )
    )


@transaction.atomic
def payment_method_set_default(*, member, payment_method: PaymentMethod) -> PaymentMethod:
    methods = _locked_methods(member)
    target = next((m for m in methods if m.pk == payment_method.pk), None)
    if target is None:
        raise PaymentMethodNotFound()
    if target.is_default:
        return target
    if target.is_expired(japan_today()):
        raise PaymentMethodExpired()
    PaymentMethod.objects.filter(pk__in=[m.pk for m in methods if m.is_default]).update(is_default=False)
    target.is_default = True
    target.save(update_fields=["is_default"])
    audit_record(
        actor=member,
        member=member,
        action="payment_method.default_set",
        detail={"payment_method": str(target.public_id), "brand": target.brand, "last4": target.last4},
    )
    security_notice_queue(member=member, kind="card_default", detail={"card": target.label})
    return target


@transaction.atomic
def payment_method_remove(*, member, payment_method: PaymentMethod, actor=None) -> PaymentMethod | None:
    """Soft-delete a payment method (old receipts still name it). Refused for
    the last one while the member has an active card. Returns the method that
    became the default in its place, if any."""
    methods = _locked_methods(member)
    target = next((m for m in methods if m.pk == payment_method.pk), None)
    if target is None:
        raise PaymentMethodNotFound()
    others = [m for m in methods if m.pk != target.pk]
    if not others and member_has_active_card(member):
        logger.info("payment method removal refused: last one", extra={"member": member.pk})
        raise LastPaymentMethodInUse()
    was_default = target.is_default
    target.is_default = False
    target.removed_at = timezone.now()
    target.save(update_fields=["is_default", "removed_at"])
    new_default = None
    if was_default and others:
        today = japan_today()
        new_default = next((m for m in others if not m.is_expired(today)), others[0])
        new_default.is_default = True
        new_default.save(update_fields=["is_default"])
    audit_record(
        actor=actor or member,
        member=member,
        action="payment_method.removed",
        detail={
            "payment_method": str(target.public_id),
            "brand": target.brand,
            "last4": target.last4,
            "new_default": str(new_default.public_id) if new_default else None,
        },
    )
    security_notice_queue(
        member=member,
        kind="card_removed",
        detail={
            "card": target.label,
            "new_default": new_default.label if new_default else "",
            "by_support": bool(actor and actor.pk != member.pk and actor.is_staff),
        },
    )
    return new_default


# --- Demo data ---------------------------------------------------------------------


@transaction.atomic
def payment_methods_register_used(*, member, holder_name: str, today: date) -> list[PaymentMethod]:
    """Demo data (``seed_demo``): register, as the member's payment methods,
    the payment cards the card center's feed says paid for their charges and
    passes (``cards.payments.member_payment_cards_used``), so that the
    history's VISA ••••4242 is also in 決済用カード. A card the member has
    registered before (or removed) is left as it is, so running it again
    changes nothing. The most used card becomes the default when there is
    none. The token is a demo value no provider holds."""
    methods = _locked_methods(member)
    known = {
        (brand, last4)
        for brand, last4 in PaymentMethod.objects.filter(member=member).values_list("brand", "last4")
    }
    has_default = any(m.is_default for m in methods)
    provider = get_provider().name
    created = []
    for used in member_payment_cards_used(member):
        if (used.brand, used.last4) in known or used.brand not in Brand.values:
            continue
        digest = hashlib.sha256(f"{member.wester_id}|{used.brand}|{used.last4}".encode()).hexdigest()
        method = PaymentMethod.objects.create(
            member=member,
            provider=provider,
            token=f"demo_{digest[:32]}",
            brand=used.brand,
            last4=used.last4,
            exp_month=int(digest[:2], 16) % 12 + 1,
            exp_year=today.year + 2 + int(digest[2], 16) % 3,
            funding=Funding.CREDIT,
            holder_name=" ".join(holder_name.split()).upper()[:100],
            fingerprint=f"demo_{digest[32:64]}",
            is_default=not has_default,
        )
        has_default = True
        known.add((used.brand, used.last4))
        created.append(method)
        audit_record(
            actor=None,
            member=member,
            action="payment_method.demo_registered",
            detail={"payment_method": str(method.public_id), "brand": method.brand, "last4": method.last4},
        )
    return created
