"""How numbers are shown to people who may not see them whole."""

from __future__ import annotations


def mask_icoca_number(icoca_number: str) -> str:
    """``JW7A000000000001`` → ``JW•••••••••••0001``: the prefix and the last
    four characters, for everyone but the owner and staff."""
    if len(icoca_number) < 6:
        return "•" * len(icoca_number)
    return icoca_number[:2] + "•" * (len(icoca_number) - 6) + icoca_number[-4:]


PAYMENT_CARD_MASK = "••••"


def payment_card_label(brand_name: str, last4: str) -> str:
    """``VISA ••••4242``: how a payment card is named on every screen,
    receipt and history line."""
    return f"{brand_name} {PAYMENT_CARD_MASK}{last4}".strip()
