"""How the history shows money: ``−580円``, ``+3,000円``, ``4,210円``."""

from __future__ import annotations

from django.utils.translation import gettext

MINUS = "\u2212"  # the minus sign, not a hyphen: reads right and is not broken across lines


def yen(amount: int) -> str:
    """``4,210円``."""
    return gettext("%(amount)s円") % {"amount": f"{amount:,}"}


def signed_yen(amount: int) -> str:
    """``−580円``, ``+3,000円``, ``0円``."""
    sign = MINUS if amount < 0 else "+" if amount > 0 else ""
    return gettext("%(sign)s%(amount)s円") % {"sign": sign, "amount": f"{abs(amount):,}"}
