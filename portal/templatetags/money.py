"""``{{ amount|yen }}``: ``4,210円`` in Japanese, ``¥4,210`` in English (the active
language), by :func:`portal.money.yen`; ``{{ amount|signed_yen }}``: ``−580円``."""

from django import template
from django.utils.translation import get_language

from portal import money

register = template.Library()


def shown_language() -> str:
    """The active language as the money formatter knows it (Japanese unless English)."""
    language = get_language() or ""
    return "en" if language.split("-")[0] == "en" else "ja"


@register.filter
def yen(amount: int | None) -> str:
    return "" if amount is None else money.yen(amount, shown_language())


@register.filter
def signed_yen(amount: int | None) -> str:
    return "" if amount is None else money.signed_yen(amount, shown_language())
