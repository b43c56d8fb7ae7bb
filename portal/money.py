"""Money as the portal shows it, in one place: pages, PDFs and e-mails.

``3,000円`` in Japanese, ``¥3,000`` in English; a history line or a month's sum is signed
with the minus sign (not a hyphen) or a plus. Money is ``int`` yen end to end: a float or
a bool is refused. The language is given, because a PDF or an e-mail is in the member's
language, not the request's; templates use the ``yen`` filter (``{% load money %}``),
which gives the active language. Pure Python: no Django imports.

>>> yen(3000, "ja"), yen(3000, "en"), yen(-3000, "ja"), yen(-3000, "en")
('3,000円', '¥3,000', '-3,000円', '-¥3,000')
>>> signed_yen(-580, "ja"), signed_yen(3000, "en"), signed_yen(0, "ja")
('−580円', '+¥3,000', '0円')
"""

from __future__ import annotations

LANGUAGES = ("ja", "en")
MINUS = "\u2212"  # the minus sign, not a hyphen: reads right and is not broken across lines


def check_money(name: str, value: object) -> int:
    """``value`` if it is a whole number of yen (``int``, not ``bool``); ``ValueError`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a whole number of yen (int), got {value!r}")
    return value


def _english(language: str) -> bool:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, got {language!r}")
    return language == "en"


def yen(amount: int, language: str = "ja") -> str:
    """``3,000円`` in Japanese, ``¥3,000`` in English."""
    check_money("amount", amount)
    if _english(language):
        return f"-¥{-amount:,}" if amount < 0 else f"¥{amount:,}"
    return f"{amount:,}円"


def signed_yen(amount: int, language: str = "ja") -> str:
    """``−580円``, ``+3,000円``, ``0円`` (``−¥580``, ``+¥3,000``, ``¥0`` in English)."""
    sign = MINUS if check_money("amount", amount) < 0 else "+" if amount > 0 else ""
    return sign + yen(abs(amount), language)
