"""``SandboxProvider``: the portal's side of the sandbox (the other side is
the sandbox's own pages in ``views``)."""

from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.urls import reverse

from billing.payment_methods.providers.base import (
    Outcome,
    PaymentProvider,
    ProviderFailure,
    RegistrationResult,
    ResultInvalid,
    ThreeDSOutcome,
)
from billing.payment_methods.providers.sandbox import protocol, store


class SandboxProvider(PaymentProvider):
    """A stand-in payment provider that behaves like a real one: its own
    pages at ``/sandbox-pay/``, its own store for card numbers, and a signed
    answer. The test cards are in ``cards.TEST_CARDS`` and the README."""

    name = "sandbox"

    def registration_start(
        self,
        *,
        reference: str,
        nonce: str,
        return_url: str,
        expires_at: datetime,
        language: str,
        accepted_brands: tuple[str, ...] = (),
    ) -> str:
        # A real provider is called over HTTPS here; the sandbox shares the
        # process, so it writes its session straight into its own store.
        session = store.session_create(
            reference=reference,
            nonce=nonce,
            return_url=return_url,
            merchant=str(settings.PORTAL_SITE_NAME),
            expires_at=int(expires_at.timestamp()),
            brands=tuple(accepted_brands),
        )
        return reverse("sandbox_pay:entry", args=[session.id])

    def registration_verify(self, signed_result: str) -> RegistrationResult:
        payload = protocol.read(signed_result)
        try:
            nonce = payload["nonce"]
            if not isinstance(nonce, str) or not nonce:
                raise ValueError("nonce")
            outcome = Outcome(payload["outcome"])
            failure = str(payload.get("failure") or "")
            if failure:
                ProviderFailure(failure)
            exp_month, exp_year = payload.get("exp_month"), payload.get("exp_year")
            return RegistrationResult(
                nonce=nonce,
                outcome=outcome,
                three_ds=ThreeDSOutcome(payload["three_ds"]),
                expires_at=datetime.fromtimestamp(int(payload["exp"]), UTC),
                token=str(payload.get("token") or ""),
                brand=str(payload.get("brand") or ""),
                last4=str(payload.get("last4") or ""),
                exp_month=int(exp_month) if exp_month is not None else None,
                exp_year=int(exp_year) if exp_year is not None else None,
                funding=str(payload.get("funding") or ""),
                holder_name=str(payload.get("holder_name") or ""),
                failure_code=failure,
                fingerprint=str(payload.get("fingerprint") or "")[:64],
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ResultInvalid("malformed") from error
