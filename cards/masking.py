"""How numbers are shown to people who may not see them whole."""

from __future__ import annotations


def mask_icoca_number(icoca_number: str) -> str:
    """``JW7A000000000001`` → ``JW•••••••••••0001``: the prefix and the last
    four characters, for everyone but the owner and staff."""
    if len(icoca_number) < 6:
        return "•" * len(icoca_number)
    return icoca_number[:2] + "•" * (len(icoca_number) - 6) + icoca_number[-4:]
