"""Drive a registration through the sandbox provider with Django's test
client, or forge its answers, for the billing tests."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from billing.models import PaymentRegistration
from billing.payment_methods.providers.sandbox import protocol
from billing.payment_methods.services.registration import payment_registration_start

RETURN_URL = "http://testserver/payment-methods/return/"
HANAKO = {"first_name": "HANAKO", "last_name": "YAMADA", "name": "山田 花子"}


def registration_start(member, return_url: str = RETURN_URL) -> tuple[PaymentRegistration, str]:
    """A new registration and the sandbox page it sends the member to."""
    entry_url = payment_registration_start(member=member, return_url=return_url)
    return PaymentRegistration.objects.filter(member=member).order_by("-id").first(), entry_url


def enter_card(client, entry_url: str, number: str, *, expiry: str = "12/30", cvc: str | None = None,
               holder: str = "HANAKO YAMADA"):
    cvc = cvc or ("1234" if number.startswith(("34", "37")) else "123")
    return client.post(entry_url, {"number": number, "expiry": expiry, "cvc": cvc, "holder_name": holder})


def result_of(response) -> str:
    """The signed result in the sandbox's redirect back to the portal."""
    assert response.status_code == 303, response.content.decode()[:500]
    location = urlparse(response["Location"])
    return parse_qs(location.query)["result"][0]


def register_through_sandbox(client, member, number: str, *, code: str | list[str] | None = None, **card) -> str:
    """Fill a card on the sandbox's pages (and its challenge: one code, or the
    codes of each try) and return the signed result it sends back."""
    _, entry_url = registration_start(member)
    response = enter_card(client, entry_url, number, **card)
    if code is not None:
        assert response.status_code == 303 and "/challenge/" in response["Location"]
        challenge_url = response["Location"]
        for each in [code] if isinstance(code, str) else code:
            response = client.post(challenge_url, {"code": each})
    return result_of(response)


def forged(registration: PaymentRegistration, *, now: int | None = None, **fields) -> str:
    """A result signed with the sandbox's key, as if the sandbox had sent it."""
    payload: dict[str, object] = {
        "nonce": registration.nonce,
        "ref": str(registration.public_id),
        "outcome": "succeeded",
        "three_ds": "frictionless",
        "failure": "",
        "token": f"tok_sandbox_forged_{registration.pk}",
        "brand": "VISA",
        "last4": "0100",
        "exp_month": 12,
        "exp_year": 2030,
        "funding": "credit",
        "holder_name": "HANAKO YAMADA",
    }
    payload.update(fields)
    return protocol.sign(payload, now=now)
