"""Station, line and bus-operator names in the page's language (cards/stations.py).

``{{ commuter_pass.from_station|place }}`` shows ``Osaka`` on an English page and
``大阪`` on a Japanese one; a name the station table does not know is shown as the
feed sent it, inside ``<span lang="ja">`` on an English page so a screen reader reads
it as Japanese."""

from __future__ import annotations

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from cards.stations import display_name, needs_lang_mark

register = template.Library()


def place_html(name: str, language: str | None = None) -> SafeString:
    """``name`` as HTML for a page in ``language`` (the active one by default)."""
    language = language or get_language() or "ja"
    if not name:
        return SafeString("")
    if needs_lang_mark(name, language):
        return format_html('<span lang="ja">{}</span>', name)
    return SafeString(conditional_escape(display_name(name, language)))


def place_text(name: str, language: str | None = None) -> str:
    """``name`` as plain text (e-mails, PDFs' metadata) in ``language``."""
    return display_name(name or "", language or get_language() or "ja")


@register.filter(name="place")
def place(name: str) -> SafeString:
    return place_html(str(name or ""))


@register.filter(name="place_text")
def place_text_filter(name: str) -> str:
    return place_text(str(name or ""))
