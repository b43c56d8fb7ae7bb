"""``{% menu_urls as nav %}``: the addresses of the site's menu and footer, and of the pages
マイページ links to (``nav.history``, ``nav.help``, ...), reversed once per process rather
than on every page.

They depend only on the URL configuration and the script prefix (the site has no
language-prefixed URLs), so they are kept per (urlconf, prefix); a page whose app is not
installed gets ``""`` for its address, as ``{% url ... as name %}`` gave, and the menu leaves
the item out."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

register = template.Library()

#: Key in ``nav`` → URL name.
MENU = {
    "home": "home",
    "history": "cards:history",
    "documents": "documents:document-list",
    "refunds": "documents:refund-list",
    "payment_methods": "payment_methods:payment-method-list",
    "settings": "accounts:settings",
    "help": "cards:help",
    "points": "cards:points",
    "lost_device": "cards:lost-device",
    "sign_out": "account_logout",
    "set_language": "set_language",
}

_reversed: dict[tuple[str, str], dict[str, str]] = {}


def _reverse(name: str, urlconf: str) -> str:
    try:
        return reverse(name, urlconf=urlconf)
    except NoReverseMatch:
        return ""


@register.simple_tag
def menu_urls() -> dict[str, str]:
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    key = (urlconf, get_script_prefix())
    urls = _reversed.get(key)
    if urls is None:
        urls = _reversed[key] = {item: _reverse(name, urlconf) for item, name in MENU.items()}
    return urls
