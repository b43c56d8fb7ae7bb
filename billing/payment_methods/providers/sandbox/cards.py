"""Card numbers, as the sandbox provider reads them: the Luhn check, the
brand from the issuer range (IIN) and the test cards with what each does.
Django-free."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from portal.card_numbers import luhn_valid as luhn_valid  # the one check digit, shared with the logs

_SEPARATORS = re.compile(r"[\s\-]+")


def digits_only(text: str) -> str:
    """The number without the spaces or hyphens a person types; "" when
    anything else is in it."""
    number = _SEPARATORS.sub("", text or "")
    return number if number.isascii() and number.isdigit() else ""


@dataclass(frozen=True)
class IssuerRange:
    brand: str
    low: str  # inclusive prefix range, compared on the same number of digits
    high: str
    lengths: tuple[int, ...]

    def matches(self, number: str) -> bool:
        prefix = number[: len(self.low)]
        return self.low <= prefix <= self.high and len(number) in self.lengths


# The ranges the card networks publish (most specific first where they nest).
ISSUER_RANGES: tuple[IssuerRange, ...] = (
    IssuerRange("AMEX", "34", "34", (15,)),
    IssuerRange("AMEX", "37", "37", (15,)),
    IssuerRange("JCB", "3528", "3589", (16, 17, 18, 19)),
    IssuerRange("DINERS", "300", "305", (14, 15, 16, 17, 18, 19)),
    IssuerRange("DINERS", "3095", "3095", (14, 15, 16, 17, 18, 19)),
    IssuerRange("DINERS", "36", "36", (14, 15, 16, 17, 18, 19)),
    IssuerRange("DINERS", "38", "39", (14, 15, 16, 17, 18, 19)),
    IssuerRange("VISA", "4", "4", (13, 16, 19)),
    IssuerRange("MASTERCARD", "51", "55", (16,)),
    IssuerRange("MASTERCARD", "2221", "2720", (16,)),
    IssuerRange("DISCOVER", "6011", "6011", (16, 17, 18, 19)),
    IssuerRange("DISCOVER", "644", "649", (16, 17, 18, 19)),
    IssuerRange("DISCOVER", "65", "65", (16, 17, 18, 19)),
    IssuerRange("UNIONPAY", "62", "62", (16, 17, 18, 19)),
)


def detect_brand(number: str) -> str | None:
    """The brand code for a number (digits only), or None when no issuer
    range (with its lengths) fits."""
    for issuer in ISSUER_RANGES:
        if issuer.matches(number):
            return issuer.brand
    return None


BRAND_NAMES = {
    "VISA": "VISA",
    "MASTERCARD": "Mastercard",
    "JCB": "JCB",
    "AMEX": "American Express",
    "DINERS": "Diners Club",
    "UNIONPAY": "UnionPay",
    "DISCOVER": "Discover",
}

BIN_LENGTH = 6  # the issuer identification number a gateway reads the brand from


def brand_from_bin(digits: str) -> str | None:
    """The brand of a number from its first digits only (at least
    ``BIN_LENGTH``), as a gateway tells it while the number is being typed,
    before any authentication: None when too short or in no issuer range."""
    if len(digits) < BIN_LENGTH or not (digits.isascii() and digits.isdigit()):
        return None
    for issuer in ISSUER_RANGES:
        prefix = digits[: len(issuer.low)]
        if issuer.low <= prefix <= issuer.high:
            return issuer.brand
    return None


class Scenario(StrEnum):
    FRICTIONLESS = "frictionless"  # 3-D Secure without a challenge, then approved
    CHALLENGE = "challenge"  # a one-time code: 123456 passes; 3 wrong codes fail
    AUTHENTICATION_FAILED = "authentication_failed"  # the issuer refuses to authenticate
    NOT_ENROLLED = "not_enrolled"  # no 3-D Secure on this card
    DECLINED = "declined"  # authenticated, then declined by the issuer


@dataclass(frozen=True)
class TestCard:
    __test__ = False  # a sandbox card, not a pytest class

    number: str
    scenario: Scenario
    funding: str = "credit"
    note: str = ""


CHALLENGE_CODE = "123456"
CHALLENGE_TRIES = 3  # wrong one-time codes before the issuer fails the authentication

TEST_CARDS: dict[str, TestCard] = {
    card.number: card
    for card in (
        TestCard("4100000000000100", Scenario.FRICTIONLESS),
        TestCard("5100000000000107", Scenario.FRICTIONLESS),
        TestCard("3528000000000106", Scenario.FRICTIONLESS),
        TestCard("378282246310005", Scenario.FRICTIONLESS),
        TestCard("4100000000005000", Scenario.CHALLENGE),
        TestCard("5100000000005007", Scenario.CHALLENGE),
        TestCard("3528000000005006", Scenario.CHALLENGE),
        TestCard("4100000000500000", Scenario.AUTHENTICATION_FAILED),
        TestCard("4242424242424242", Scenario.NOT_ENROLLED),
        TestCard("4000000000000002", Scenario.DECLINED),
        TestCard("4100000000000118", Scenario.FRICTIONLESS, funding="debit"),
        TestCard("4100000000000126", Scenario.FRICTIONLESS, funding="prepaid"),
        TestCard("36227206271667", Scenario.FRICTIONLESS, note="Diners Club"),
        TestCard("6200000000000005", Scenario.FRICTIONLESS, note="UnionPay"),
    )
}


def find_test_card(number: str) -> TestCard | None:
    return TEST_CARDS.get(number)
