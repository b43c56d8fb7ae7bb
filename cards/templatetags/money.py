"""``{{ amount|yen }}``: ``4,210円`` in Japanese, ``¥4,210`` in English (the active language)."""

from django import template

from cards.history.formatting import yen as _yen

register = template.Library()


@register.filter
def yen(amount: int | None) -> str:
    return "" if amount is None else _yen(amount)
