"""``{% menu_urls as nav %}``: the addresses of the site's menu and footer, and of the pages
マイページ links to (``nav.history``, ``nav.help``, ...), reversed once per process rather
than on every page.

They depend only on the URL configuration and the script prefix (the site has no
language-prefixed URLs), so they are kept per (urlconf, prefix); a page whose app is not
installed gets ``""`` for its address, as ``{% url ... as name %}`` gave, and the menu leaves
the item out.

``{% menu_words as words %}``: the chrome's words (the menu's, the skip link's, the
footer's), translated as ``{% translate %}`` does (a literal's translation is trusted, not escaped), once per language and
process rather than by a ``{% translate %}`` tag each on every page (about a third of
base.html's render). Only constant text: nothing of the member's, the request's or the
response's (CSRF token, nonce, path, aria-current) is kept."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.safestring import SafeString
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

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


#: Key in ``words`` → the text base.html shows.
WORDS = {
    "skip_link": _("本文へ移動"),
    "menu": _("メニュー"),
    "main_menu": _("メインメニュー"),
    "home": _("マイページ"),
    "history": _("利用履歴"),
    "documents": _("領収書・明細書"),
    "refunds": pgettext_lazy("menu", "払いもどし"),
    "payment_methods": _("決済用カード"),
    "settings": _("設定"),
    "help": _("ヘルプ"),
    "sign_out": _("ログアウト"),
    "operator": _("運営"),
    "site_information": _("サイト情報"),
    "language": _("Language / 言語"),
    "switch_language": _("切り替え"),
}

_translated: dict[str | None, dict[str, SafeString]] = {}


@register.simple_tag
def menu_words() -> dict[str, SafeString]:
    language = get_language()
    words = _translated.get(language)
    if words is None:
        words = _translated[language] = {key: SafeString(text) for key, text in WORDS.items()}
    return words
