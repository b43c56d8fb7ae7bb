"""Rules about payment cards that need no database: the holder name check,
the expiry date and how a card is named on screen. Django-free."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

from cards.masking import payment_card_label
from cards.window import month_last_day

EXPIRING_SOON_DAYS = 60


def _squeeze(text: str) -> str:
    """Fold width (ＨＡＮＡＫＯ → HANAKO) and case, drop every space."""
    return "".join(unicodedata.normalize("NFKC", text or "").casefold().split())


def holder_name_matches(
    holder_name: str, *, given_name: str, family_name: str, full_name: str = "", card_name: str = ""
) -> bool:
    """Whether the name on a card is the member's own name in romaji,
    ignoring case, spaces and the order of given and family name.

    ``given_name``/``family_name`` are the WESTER ID claims in romaji (HANAKO,
    YAMADA). Without them, ``full_name`` is used when it is written in Latin
    letters (a member whose WESTER ID name is "Emily Carter"), in either
    order of its first and last word; without that, ``card_name``, the name
    the member gave as printed on their cards (``card_name_clean``).
    """
    holder = _squeeze(holder_name)
    if not holder:
        return False
    given, family = _squeeze(given_name), _squeeze(family_name)
    if given and family:
        return holder in (given + family, family + given)
    if not _is_latin(full_name) and card_name:
        full_name = card_name
    words = unicodedata.normalize("NFKC", full_name or "").split()
    if not words or not all(word.isascii() and word.replace("-", "").replace("'", "").isalpha() for word in words):
        return False
    candidates = {_squeeze(" ".join(words))}
    if len(words) >= 2:
        candidates.add(_squeeze(" ".join([words[-1], *words[:-1]])))
    return holder in candidates


def _is_latin(full_name: str) -> bool:
    words = unicodedata.normalize("NFKC", full_name or "").split()
    return bool(words) and all(word.isascii() and word.replace("-", "").replace("'", "").isalpha() for word in words)


def romaji_name(*, given_name: str, family_name: str, full_name: str = "", card_name: str = "") -> str:
    """The member's romaji name as a card would carry it (HANAKO YAMADA), or
    "" when neither WESTER ID nor the member has given one."""
    return romaji_name_source(
        given_name=given_name, family_name=family_name, full_name=full_name, card_name=card_name
    )[0]


WESTER_ID = "wester_id"
MEMBER = "member"


def romaji_name_source(
    *, given_name: str, family_name: str, full_name: str = "", card_name: str = ""
) -> tuple[str, str]:
    """``(name, where it comes from)``: WESTER ID's romaji name (``WESTER_ID``)
    first, else the name the member gave (``MEMBER``), else ``("", "")``."""
    if given_name and family_name:
        return f"{given_name} {family_name}".upper(), WESTER_ID
    if full_name and full_name.isascii() and _is_latin(full_name):
        return " ".join(full_name.split()).upper(), WESTER_ID
    if card_name:
        return card_name, MEMBER
    return "", ""


def member_romaji_name(member) -> tuple[str, str]:
    """``romaji_name_source`` for a member (anything with ``first_name``,
    ``last_name``, ``name`` and ``card_name``)."""
    return romaji_name_source(
        given_name=member.first_name, family_name=member.last_name, full_name=member.name,
        card_name=getattr(member, "card_name", ""),
    )


CARD_NAME_MAX = 45
_CARD_NAME = re.compile(r"^[A-Z]+( [A-Z]+)*$")


class CardNameInvalid(ValueError):
    """``code``: ``empty``, ``letters`` (anything but A–Z and spaces),
    ``short`` or ``long``."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def card_name_clean(text: str) -> str:
    """The name as printed on the member's cards, the way it is stored:
    full-width letters folded, upper case, one space between words
    (``hanako  ｙａｍａｄａ`` → ``HANAKO YAMADA``). Raises ``CardNameInvalid``.

    >>> card_name_clean(" hanako  yamada ")
    'HANAKO YAMADA'
    """
    name = " ".join(unicodedata.normalize("NFKC", text or "").split()).upper()
    if not name:
        raise CardNameInvalid("empty")
    if not _CARD_NAME.match(name):
        raise CardNameInvalid("letters")
    if len(name.replace(" ", "")) < 2:
        raise CardNameInvalid("short")
    if len(name) > CARD_NAME_MAX:
        raise CardNameInvalid("long")
    return name


def expires_on(exp_month: int, exp_year: int) -> date:
    """A card is valid through the last day of its expiry month."""
    return month_last_day(exp_year, exp_month)


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
