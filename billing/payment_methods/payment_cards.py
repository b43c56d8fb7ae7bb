"""Rules about payment cards that need no database: the holder name check,
the expiry date and how a card is named on screen. Django-free."""

from __future__ import annotations

import calendar
import unicodedata
from datetime import date, timedelta

from cards.masking import payment_card_label

EXPIRING_SOON_DAYS = 60


def _squeeze(text: str) -> str:
    """Fold width (ＨＡＮＡＫＯ → HANAKO) and case, drop every space."""
    return "".join(unicodedata.normalize("NFKC", text or "").casefold().split())


def holder_name_matches(holder_name: str, *, given_name: str, family_name: str, full_name: str = "") -> bool:
    """Whether the name on a card is the member's own name in romaji,
    ignoring case, spaces and the order of given and family name.

    ``given_name``/``family_name`` are the WESTER ID claims in romaji (HANAKO,
    YAMADA). Without them, ``full_name`` is used when it is written in Latin
    letters (a member whose WESTER ID name is "Emily Carter"), in either
    order of its first and last word.
    """
    holder = _squeeze(holder_name)
    if not holder:
        return False
    given, family = _squeeze(given_name), _squeeze(family_name)
    if given and family:
        return holder in (given + family, family + given)
    words = unicodedata.normalize("NFKC", full_name or "").split()
    if not words or not all(word.isascii() and word.replace("-", "").replace("'", "").isalpha() for word in words):
        return False
    candidates = {_squeeze(" ".join(words))}
    if len(words) >= 2:
        candidates.add(_squeeze(" ".join([words[-1], *words[:-1]])))
    return holder in candidates


def romaji_name(*, given_name: str, family_name: str, full_name: str = "") -> str:
    """The member's romaji name as a card would carry it (HANAKO YAMADA), or
    "" when WESTER ID has none."""
    if given_name and family_name:
        return f"{given_name} {family_name}".upper()
    if full_name and full_name.isascii():
        return full_name.upper()
    return ""


def expires_on(exp_month: int, exp_year: int) -> date:
    """A card is valid through the last day of its expiry month."""
    return date(exp_year, exp_month, calendar.monthrange(exp_year, exp_month)[1])


def is_expired(exp_month: int, exp_year: int, *, today: date) -> bool:
    return expires_on(exp_month, exp_year) < today


def expires_within(exp_month: int, exp_year: int, *, today: date, days: int = EXPIRING_SOON_DAYS) -> bool:
    """Not expired yet, but will be within ``days`` days."""
    last_day = expires_on(exp_month, exp_year)
    return today <= last_day <= today + timedelta(days=days)


# Brands a provider may report that the portal does not accept, by name.
OTHER_BRAND_NAMES = {"DINERS": "Diners Club", "UNIONPAY": "UnionPay", "DISCOVER": "Discover"}


def brand_name(brand: str) -> str:
    """A readable name for a brand code the portal does not accept."""
    return OTHER_BRAND_NAMES.get(brand, brand.title() if brand else "")


def masked_label(brand_label: str, last4: str) -> str:
    """``VISA ••••4242``: how a payment card is named on every screen."""
    return payment_card_label(brand_label, last4)
