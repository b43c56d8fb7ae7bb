"""The payment-provider interface: how the portal registers a payment card
without ever seeing its number.

A registration goes like this::

    portal                              provider (its own site)
    ──────                              ───────────────────────
    registration_start(reference,  ──►  creates a session (server to server)
      nonce, return_url, expires_at,    and answers with the URL of its page
      accepted_brands)
    redirect the member there      ──►  card entry: number, expiry, security
                                        code, holder name; a brand the
                                        portal does not accept is refused
                                        there as soon as the number is typed
                                        (the brand from its BIN), before
                                        3-D Secure 2.0 (frictionless or a
                                        challenge, with 3 tries of the code)
    return_url?result=...          ◄──  sends the member back with a signed
    registration_verify(result)         result: outcome, 3-D Secure outcome,
                                        token, brand, last 4, expiry, funding

Adding a gateway (a Japanese one such as GMO Payment Gateway, SB Payment
Service or DG Financial Technology) is one new module:

1. ``billing/payment_methods/providers/<gateway>.py`` with a subclass of ``PaymentProvider``
   and a ``name`` (stored on each payment method; never change it).
2. ``registration_start``: call the gateway's API to open a card-registration
   (card-on-file / 会員登録) session with 3-D Secure 2.0 required, passing the
   ``return_url`` and keeping ``nonce`` in the session (its "order id" or
   merchant data field), and restricting the session to ``accepted_brands``
   (gateways take the brands a shop accepts per shop or per session, and
   their page tells the brand from the number's BIN before authentication).
   Return the URL of the gateway's own page. Raise ``ProviderUnavailable``
   when the gateway cannot be reached.
3. ``registration_verify``: check the gateway's signature over what came back
   (HMAC, a JWS, or a server-to-server look-up of the session) and translate it
   into a ``RegistrationResult``. Raise ``ResultInvalid`` for anything the
   gateway did not sign, anything malformed, and anything without a nonce.
4. Set ``PAYMENT_PROVIDER = "billing.payment_methods.providers.<gateway>.<Class>"``.

The provider does not decide the portal's rules: the services check the
nonce, the expiry, that the answer is used once and by the member who started
it, the accepted brands and the holder name, then store the token.

Nothing a provider returns may hold the card number or the security code.
The token is a secret of the merchant account: it is never shown or logged
(``RegistrationResult`` leaves it out of its ``repr``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from django.conf import settings
from django.utils.module_loading import import_string


class Outcome(StrEnum):
    SUCCEEDED = "succeeded"  # authenticated and tokenised: the card may be stored
    FAILED = "failed"  # refused; ``failure_code`` says why
    ABANDONED = "abandoned"  # the member left (cancel, back button) before the end


class ThreeDSOutcome(StrEnum):
    """The EMV 3-D Secure 2.0 authentication, as the provider reports it."""

    FRICTIONLESS = "frictionless"  # transStatus Y without a challenge
    CHALLENGE_PASSED = "challenge_passed"  # challenge answered correctly
    CHALLENGE_FAILED = "challenge_failed"  # challenge answered wrongly
    CHALLENGE_ABANDONED = "challenge_abandoned"  # challenge shown, never answered
    FAILED = "failed"  # transStatus N/R: the issuer refused to authenticate
    NOT_ENROLLED = "not_enrolled"  # the card has no 3-D Secure
    NOT_PERFORMED = "not_performed"  # the attempt ended before authentication

    @property
    def authenticated(self) -> bool:
        return self in (ThreeDSOutcome.FRICTIONLESS, ThreeDSOutcome.CHALLENGE_PASSED)


class ProviderFailure(StrEnum):
    """Why the provider refused (same codes as ``billing.models.RegistrationFailure``)."""

    NOT_ENROLLED = "not_enrolled"
    AUTHENTICATION_FAILED = "authentication_failed"
    CHALLENGE_ABANDONED = "challenge_abandoned"
    DECLINED = "declined"
    PROVIDER_ERROR = "provider_error"


@dataclass(frozen=True)
class RegistrationResult:
    """What the provider says about one registration, once its signature is
    checked. ``brand`` is the provider's upper-case brand code (``VISA``,
    ``MASTERCARD``, ``JCB``, ``AMEX``, or another such as ``DINERS``);
    ``funding`` is ``credit``, ``debit`` or ``prepaid``. On a failure the card
    details may be present (so the member can be told which card) but the
    token is empty."""

    nonce: str
    outcome: Outcome
    three_ds: ThreeDSOutcome
    expires_at: datetime  # the answer is refused after this
    token: str = field(default="", repr=False)
    brand: str = ""
    last4: str = ""
    exp_month: int | None = None
    exp_year: int | None = None
    funding: str = ""
    holder_name: str = ""
    failure_code: str = ""
    # The same card number gives the same fingerprint, every time (gateways call it a card
    # fingerprint or a card ID): the portal refuses a card the member has registered already.
    # Empty when the provider has none.
    fingerprint: str = ""


class ResultInvalid(Exception):
    """The answer is not the provider's: a bad signature, a malformed
    payload. ``code`` is for the logs and the audit trail."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


class ProviderUnavailable(Exception):
    """The provider could not be reached to start a registration."""


class PaymentProvider(ABC):
    name: ClassVar[str]

    @abstractmethod
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
        """Open a card-registration session; return the URL of the provider's
        page to send the member to. ``reference`` is the portal's opaque id of
        the attempt, ``nonce`` must come back in the signed result, and
        ``return_url`` is where the provider sends the member back with
        ``?result=<signed result>``. ``accepted_brands`` (brand codes such as
        ``VISA``) are the only brands the provider's page takes: it refuses
        another one as the number is typed, before authentication (the
        portal still checks the brand of what comes back)."""

    @abstractmethod
    def registration_verify(self, signed_result: str) -> RegistrationResult:
        """Check the provider's signature over ``signed_result`` and decode it.
        Raise ``ResultInvalid`` when it is not authentic or not well formed."""


def get_provider() -> PaymentProvider:
    """The provider the ``PAYMENT_PROVIDER`` setting names."""
    return import_string(settings.PAYMENT_PROVIDER)()
