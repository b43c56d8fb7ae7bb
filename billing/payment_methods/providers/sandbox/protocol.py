"""The sandbox provider's answer on the wire: a JSON payload, base64url
encoded, then ``.`` and its HMAC-SHA256 (base64url) under ``SANDBOX_PAY_SECRET``:

    eyJ2IjoxLCJub25jZSI6Ii4uLiJ9.3q2-7w...

The payload carries the registration nonce, ``iat`` and ``exp`` (Unix seconds)
and the outcome. A real gateway does the same with its own merchant key (or a
JWS); the portal only ever sees it through ``SandboxProvider.registration_verify``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time

from django.conf import settings

from billing.payment_methods.providers.base import ResultInvalid

VERSION = 1
LIFETIME_SECONDS = 10 * 60
MAX_LENGTH = 4096


def card_fingerprint(number: str) -> str:
    """The card's fingerprint, as a gateway gives one: the same for the same number, and the
    number cannot be read back from it (an HMAC under the sandbox's key)."""
    key = settings.SANDBOX_PAY_SECRET.encode()
    return "fp_" + hmac.new(key, b"card-fingerprint:" + number.encode("ascii"), hashlib.sha256).hexdigest()[:32]


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(body: str) -> str:
    key = settings.SANDBOX_PAY_SECRET.encode()
    return _b64encode(hmac.new(key, body.encode("ascii"), hashlib.sha256).digest())


def sign(payload: dict[str, object], *, now: int | None = None) -> str:
    issued = int(time.time()) if now is None else now
    body = _b64encode(
        json.dumps(
            {"v": VERSION, **payload, "iat": issued, "exp": issued + LIFETIME_SECONDS},
            separators=(",", ":"),
            sort_keys=True,
        ).encode()
    )
    return f"{body}.{_mac(body)}"


def read(signed: str) -> dict[str, object]:
    """The payload, once its signature is checked. Expiry is the portal's
    rule to apply (the payload's ``exp``); a bad signature, a malformed or
    oversized answer raises ``ResultInvalid``."""
    if not isinstance(signed, str) or not signed or len(signed) > MAX_LENGTH or not signed.isascii():
        raise ResultInvalid("malformed")
    body, dot, mac = signed.partition(".")
    if not dot or not body or not mac:
        raise ResultInvalid("malformed")
    if not hmac.compare_digest(_mac(body), mac):
        raise ResultInvalid("bad_signature")
    try:
        payload = json.loads(_b64decode(body))
    except (binascii.Error, ValueError) as error:
        raise ResultInvalid("malformed") from error
    if not isinstance(payload, dict) or payload.get("v") != VERSION:
        raise ResultInvalid("malformed")
    return payload
