"""Registering a payment card through the payment provider (3-D Secure 2.0).

A registration is a small state machine on ``PaymentRegistration``::

    started ──► succeeded   (a PaymentMethod is stored)
       │──────► failed      (refused by the provider or by the portal's rules)
       └──────► abandoned   (the member left, or the attempt expired)

Every step is in the member's audit trail. The portal stores the provider's
token, the brand, the last four digits, the expiry and the funding type;
never a card number or a security code, and the token is never logged.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from accounts.exceptions import PortalError
from accounts.services import audit_record, security_notice_queue
from billing.payment_methods import payment_cards
from billing.payment_methods.exceptions import (
    CardNameRequired,
    PaymentProviderUnavailable,
    PaymentRegistrationFailed,
    PaymentResultRejected,
    TooManyRegistrations,
)
from billing.payment_methods.models import (
    Brand,
    Funding,
    PaymentMethod,
    PaymentRegistration,
    RegistrationFailure,
    RegistrationStatus,
)
from billing.payment_methods.providers import get_provider
from billing.payment_methods.providers.base import (
    Outcome,
    PaymentProvider,
    ProviderUnavailable,
    RegistrationResult,
    ResultInvalid,
    ThreeDSOutcome,
)
from cards.window import japan_today

logger = logging.getLogger(__name__)

REGISTRATION_LIFETIME = timedelta(minutes=30)
# Attempts that reached the provider's answer (a card registered or refused) in any 24 hours. An abandoned one (cancel, the back button, left to expire) tried no
# card to the end and does not count; every attempt counts towards the wider cap, which only
# stops a script from opening provider sessions without end.
MAX_REGISTRATIONS_PER_DAY = 10
MAX_REGISTRATION_STARTS_PER_DAY = 50
LIMIT_WINDOW = timedelta(days=1)


def _check_registration_limits(*, member, now) -> None:
    """Raise ``TooManyRegistrations`` with the time the member may try again:
    when the oldest attempt that counts leaves the 24-hour window."""
    recent = PaymentRegistration.objects.filter(member=member, created_at__gte=now - LIMIT_WINDOW)
    for attempts, limit in (
        # An attempt still open is ended (superseded) by this one: only those that ended
        # with the provider's answer count.
        (recent.filter(status__in=(RegistrationStatus.SUCCEEDED, RegistrationStatus.FAILED)), MAX_REGISTRATIONS_PER_DAY),
        (recent, MAX_REGISTRATION_STARTS_PER_DAY),
    ):
        times = list(attempts.order_by("-created_at").values_list("created_at", flat=True)[:limit])
        if len(times) >= limit:
            retry_at = times[limit - 1] + LIMIT_WINDOW
            logger.warning("payment registration refused: too many attempts", extra={"member": member.pk})
            raise TooManyRegistrations(limit, retry_at=retry_at)


@transaction.atomic
def payment_registration_start(*, member, return_url: str) -> str:
    """Open a registration and return the provider's page to send the member
    to. An older attempt still open is ended (one at a time per member)."""
    now = timezone.now()
    if not payment_cards.member_romaji_name(member)[0]:
        raise CardNameRequired()
    _check_registration_limits(member=member, now=now)
    for older in PaymentRegistration.objects.select_for_update().filter(
        member=member, status=RegistrationStatus.STARTED
    ):
        failure = RegistrationFailure.EXPIRED if older.expires_at < now else RegistrationFailure.SUPERSEDED
        _registration_end(older, RegistrationStatus.ABANDONED, failure=failure, actor=member)

    provider = get_provider()
    registration = PaymentRegistration.objects.create(
        member=member,
        provider=provider.name,
        nonce=secrets.token_urlsafe(32),
        expires_at=now + REGISTRATION_LIFETIME,
    )
    try:
        redirect_url = provider.registration_start(
            reference=str(registration.public_id),
            nonce=registration.nonce,
            return_url=return_url,
            expires_at=registration.expires_at,
            language=translation.get_language() or settings.LANGUAGE_CODE,
            accepted_brands=tuple(Brand.values),
        )
    except ProviderUnavailable as error:
        logger.warning("payment provider unavailable", extra={"member": member.pk, "provider": provider.name})
        raise PaymentProviderUnavailable() from error
    audit_record(
        actor=member,
        member=member,
        action="payment_registration.started",
        detail={"registration": str(registration.public_id), "provider": provider.name},
    )
    logger.info(
        "payment registration started",
        extra={"member": member.pk, "registration": str(registration.public_id), "provider": provider.name},
    )
    return redirect_url


def payment_registration_complete(*, member, signed_result: str) -> PaymentMethod:
    """Take the provider's signed answer for one of the member's open
    registrations and store the card, or record why not and raise.

    Refused without touching any registration (``PaymentResultRejected``):
    a bad signature, an unknown nonce, another member's registration, an
    answer already used (replay). Ending the registration without a card
    (``PaymentRegistrationFailed``): an expired answer or attempt, an abandoned
    or failed 3-D Secure, a declined card, and the portal's own rules (brand,
    funding, expiry, the holder name is the member's)."""
    provider = get_provider()
    try:
        result = provider.registration_verify(signed_result)
    except ResultInvalid as error:
        _reject(member=member, code=error.code)
        raise PaymentResultRejected(error.code) from None
    with transaction.atomic():
        outcome = _registration_complete(member=member, provider=provider, result=result)
    # Raised after the commit: the ended registration and its audit entry stay.
    if isinstance(outcome, PortalError):
        raise outcome
    return outcome


def _registration_complete(
    *, member, provider: PaymentProvider, result: RegistrationResult
) -> PaymentMethod | PortalError:
    registration = (
        PaymentRegistration.objects.select_for_update().select_related("member").filter(nonce=result.nonce).first()
    )
    if registration is None:
        return _reject(member=member, code="unknown")
    if registration.member_id != member.pk:
        return _reject(member=member, code="wrong_member", registration=registration)
    if registration.provider != provider.name:
        return _reject(member=member, code="provider", registration=registration)
    if registration.status != RegistrationStatus.STARTED:
        return _reject(member=member, code="replay", registration=registration)

    registration.three_ds = result.three_ds
    registration.brand = result.brand[:32]
    registration.last4 = result.last4 if _is_last4(result.last4) else ""
    registration.funding = result.funding[:16]

    now = timezone.now()
    if now > result.expires_at or now > registration.expires_at:
        _registration_end(registration, RegistrationStatus.ABANDONED, failure=RegistrationFailure.EXPIRED, actor=member)
        return PaymentRegistrationFailed(registration)
    if result.outcome == Outcome.ABANDONED:
        failure = (
            RegistrationFailure.CHALLENGE_ABANDONED
            if result.three_ds == ThreeDSOutcome.CHALLENGE_ABANDONED
            else RegistrationFailure.CANCELLED
        )
        _registration_end(registration, RegistrationStatus.ABANDONED, failure=failure, actor=member)
        return PaymentRegistrationFailed(registration)
    if result.outcome == Outcome.FAILED:
        failure = (
            RegistrationFailure(result.failure_code)
            if result.failure_code in RegistrationFailure.values
            else RegistrationFailure.PROVIDER_ERROR
        )
        _registration_end(registration, RegistrationStatus.FAILED, failure=failure, actor=member)
        return PaymentRegistrationFailed(registration)

    existing = list(PaymentMethod.objects.select_for_update().filter(member=member, removed_at__isnull=True))
    refusal = _refusal(member=member, result=result, provider=provider, existing=existing)
    if refusal is not None:
        _registration_end(registration, RegistrationStatus.FAILED, failure=refusal, actor=member)
        return PaymentRegistrationFailed(registration)

    method = PaymentMethod.objects.create(
        member=member,
        provider=provider.name,
        token=result.token,
        brand=result.brand,
        last4=result.last4,
        exp_month=result.exp_month,
        exp_year=result.exp_year,
        funding=result.funding,
        holder_name=" ".join(result.holder_name.split()).upper()[:100],
        fingerprint=result.fingerprint,
        is_default=not any(m.is_default for m in existing),
    )
    _registration_end(registration, RegistrationStatus.SUCCEEDED, payment_method=method, actor=member)
    security_notice_queue(
        member=member, kind="card_registered", detail={"card": method.label, "default": method.is_default}
    )
    return method


def _is_last4(value: str) -> bool:
    return len(value) == 4 and value.isascii() and value.isdigit()


def _refusal(
    *, member, result: RegistrationResult, provider: PaymentProvider, existing: list[PaymentMethod]
) -> RegistrationFailure | None:
    """The portal's own rules for a card the provider authenticated."""
    if not result.three_ds.authenticated:
        return RegistrationFailure.AUTHENTICATION_FAILED
    if not result.token or not _is_last4(result.last4):
        return RegistrationFailure.PROVIDER_ERROR
    if result.brand not in Brand.values:
        return RegistrationFailure.UNSUPPORTED_BRAND
    if result.funding not in Funding.values:
        return RegistrationFailure.UNSUPPORTED_CARD
    if not (result.exp_month and 1 <= result.exp_month <= 12 and result.exp_year and 2000 <= result.exp_year <= 2100):
        return RegistrationFailure.PROVIDER_ERROR
    if payment_cards.is_expired(result.exp_month, result.exp_year, today=japan_today()):
        return RegistrationFailure.CARD_EXPIRED
    names = {
        "given_name": member.first_name, "family_name": member.last_name, "full_name": member.name,
        "card_name": member.card_name,
    }
    if not payment_cards.romaji_name(**names):
        return RegistrationFailure.HOLDER_NAME_UNKNOWN
    if not payment_cards.holder_name_matches(result.holder_name, **names):
        return RegistrationFailure.HOLDER_NAME_MISMATCH
    if any(
        m.provider == provider.name and (m.token == result.token or (result.fingerprint and m.fingerprint == result.fingerprint))
        for m in existing
    ):
        return RegistrationFailure.ALREADY_REGISTERED
    return None


def _registration_end(
    registration: PaymentRegistration,
    status: RegistrationStatus,
    *,
    failure: RegistrationFailure | str = "",
    payment_method: PaymentMethod | None = None,
    actor=None,
) -> None:
    registration.status = status
    registration.failure_code = failure
    registration.payment_method = payment_method
    registration.completed_at = timezone.now()
    registration.save()
    detail = {
        "registration": str(registration.public_id),
        "provider": registration.provider,
        "three_ds": registration.three_ds,
        "brand": registration.brand,
        "last4": registration.last4,
        "funding": registration.funding,
    }
    if payment_method is not None:
        detail["payment_method"] = str(payment_method.public_id)
    audit_record(
        actor=actor,
        member=registration.member,
        action=f"payment_registration.{status}",
        detail=detail,
        reason=str(failure),
    )
    logger.info(
        "payment registration ended",
        extra={
            "member": registration.member_id,
            "registration": str(registration.public_id),
            "status": str(status),
            "failure": str(failure),
            "three_ds": registration.three_ds,
        },
    )


def _reject(*, member, code: str, registration: PaymentRegistration | None = None) -> PaymentResultRejected:
    """An answer that cannot end any of this member's registrations."""
    detail = {"registration": str(registration.public_id)} if registration is not None else {}
    audit_record(actor=member, member=member, action="payment_registration.rejected", detail=detail, reason=code)
    logger.warning("payment registration result rejected", extra={"member": member.pk, "reason": code})
    return PaymentResultRejected(code)


@transaction.atomic
def payment_registrations_expire(*, now=None) -> int:
    """End the attempts nobody came back from (a closed tab, a challenge left
    with the back button and never finished): they register nothing."""
    now = now or timezone.now()
    stale = (
        PaymentRegistration.objects.select_for_update()
        .select_related("member")
        .filter(status=RegistrationStatus.STARTED, expires_at__lt=now)
    )
    count = 0
    for registration in stale[:1000]:
        _registration_end(registration, RegistrationStatus.ABANDONED, failure=RegistrationFailure.EXPIRED)
        count += 1
    return count
