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
from django.template.defaulttags import CsrfTokenNode
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from portal.per_language import once_per_language

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

def _words() -> dict[str, SafeString]:
    """The chrome's words in the active language."""
    return {key: SafeString(text) for key, text in WORDS.items()}


menu_words = register.simple_tag(once_per_language(_words), name="menu_words")


# The chrome's two parts that change with the request, written here rather than by base.html's
# tags: the menu (an item per page, the one the member is on marked aria-current, the sign-out
# form with its CSRF token) and the footer's language switch (this address to come back to).
# Through the template language they were most of base.html's render, which every page pays;
# the markup is the one base.html wrote, byte for byte (portal/tests/test_chrome.py renders
# the template it replaced as the reference).

#: The menu's items after マイページ, in order.
NAV_ITEMS = ("history", "documents", "refunds", "payment_methods", "settings", "help")
_NAV_HEAD = (
    "\n      \n      "
    '<button type="button" class="menu-button" aria-expanded="false" aria-controls="site-nav" data-menu-button>'
    '\n        <span class="menu-button__icon" aria-hidden="true"></span>{menu}'
    "\n      </button>"
    '\n      <nav class="site-nav" id="site-nav" aria-label="{main_menu}">'
    '\n        <ul class="site-nav__list">'
    '\n          <li><a href="{home}"{current}>{home_word}</a></li>'
)
_NAV_ITEM = '\n          \n          <li><a href="{url}"{current}>{word}</a></li>\n          '
_NAV_TAIL = (
    "\n          <li>"
    '\n            <form method="post" action="{sign_out}" class="inline-form">'
    "\n              {csrf}"
    '\n              <button type="submit" class="link-button">{sign_out_word}</button>'
    "\n            </form>"
    "\n          </li>"
    "\n        </ul>"
    "\n      </nav>"
    "\n      "
)
_CURRENT = ' aria-current="page"'
_LANGUAGE_SWITCH = (
    '<form action="{action}" method="post" class="language-switch">'
    "\n        {csrf}"
    '\n        <input name="next" type="hidden" value="{next}">'
    '\n        <label for="language-select">{label}</label>'
    '\n        <select id="language-select" name="language">'
    "\n          \n          {options}\n        </select>"
    '\n        <button type="submit" class="button button--small">{switch}</button>'
    "\n      </form>"
)
_OPTION = '\n          <option value="{code}" {selected} lang="{code}">{name}</option>\n          '


def _csrf_input(context) -> str:
    return CsrfTokenNode().render(context)


@register.simple_tag(takes_context=True)
def site_nav(context) -> SafeString:
    """The header's menu for a signed-in member (nothing for a visitor). On a narrow screen
    the menu folds behind the disclosure button (static/js/menu.js; without JavaScript the
    button stays hidden and the menu is shown, wrapped)."""
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return SafeString("")
    nav, words = menu_urls(), menu_words()
    path = getattr(context.get("request"), "path", "")
    parts = [
        _NAV_HEAD.format(
            menu=words["menu"],
            main_menu=words["main_menu"],
            home=escape(nav["home"]),
            current=_CURRENT if path == "/" else "",
            home_word=words["home"],
        )
    ]
    for item in NAV_ITEMS:
        url = nav[item]
        if url:
            parts.append(_NAV_ITEM.format(url=escape(url), current=_CURRENT if url in path else "", word=words[item]))
        else:
            parts.append("\n          ")
    parts.append(
        _NAV_TAIL.format(sign_out=escape(nav["sign_out"]), csrf=_csrf_input(context), sign_out_word=words["sign_out"])
    )
    return SafeString("".join(parts))


@register.simple_tag(takes_context=True)
def language_switch(context) -> SafeString:
    """The footer's language switch, the current language selected, back to this address."""
    nav, words = menu_urls(), menu_words()
    current = get_language()
    request = context.get("request")
    options = "".join(
        _OPTION.format(code=escape(code), selected="selected" if code == current else "",
                       name="日本語" if code == "ja" else "English")
        for code, _name in settings.LANGUAGES
    )
    return SafeString(
        _LANGUAGE_SWITCH.format(
            action=escape(nav["set_language"]),
            csrf=_csrf_input(context),
            next=escape(request.get_full_path()) if request is not None else "",
            label=words["language"],
            options=options,
            switch=words["switch_language"],
        )
    )
