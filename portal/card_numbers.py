"""Payment card numbers (ISO/IEC 7812), as the portal recognises them: the Luhn check digit
and the lengths of the brands it accepts. Django-free."""

from __future__ import annotations

#: Digits in a payment card number of the brands the portal accepts (VISA 13, 16 or 19;
#: American Express 15; Mastercard 16; JCB 16 to 19); Diners Club has 14.
CARD_NUMBER_LENGTHS = range(13, 20)


def luhn_valid(number: str) -> bool:
    """The ISO/IEC 7812 check digit of a number of at least 12 ASCII digits."""
    if not number.isascii() or not number.isdigit() or len(number) < 12:
        return False
    total = 0
    for position, character in enumerate(reversed(number)):
        digit = int(character)
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def looks_like_card_number(digits: str) -> bool:
    """A run of digits a payment card could have: its length and a valid check digit."""
    return len(digits) in CARD_NUMBER_LENGTHS and luhn_valid(digits)
