"""The card page's commuter passes (定期券) as HTML, one format string per pass.

Through the template language the passes were the card page's most expensive part after
its queries (cProfile, 2026-12-06): each pass's twenty-odd lookups, conditions, filters
and translations, again for every pass. Here the words and formats a page's passes share
are looked up once a page and each pass is one string. The markup is the one
templates/cards/card_detail.html's loop wrote, byte for byte: cards/tests/test_pass_rendering.py
renders that loop as the reference for passes of every state in both languages.
"""

from __future__ import annotations

from html import escape

from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext, ngettext

from cards.models import Brand, PassKind, PaymentMethodKind
from cards.selectors import PassLine
from cards.stations import display_name, needs_lang_mark
from cards.window import JAPAN
from portal import money
from portal.dateformats import DateFormatter
from portal.templatetags.money import shown_language

# One pass of the list, with the whitespace the template's loop left around it.
ITEM = (
    '\n    <li class="pass-history__item{past}">'
    '\n      <p class="pass-history__title">'
    "\n        <strong>{route}</strong>"
    "\n        {tag}"
    "\n      </p>"
    '\n      <dl class="facts facts--compact">'
    "\n        {via}"
    "\n        <div><dt>{kind_term}</dt><dd>{kind}（{months}）</dd></div>"
    "\n        <div><dt>{validity_term}</dt><dd>{valid_from} 〜 {valid_until}{left}</dd></div>"
    "\n        <div><dt>{price_term}</dt><dd>{price}</dd></div>"
    '\n        <div><dt>{payment_term}</dt><dd>{payment}<span class="hint">{bought}</span></dd></div>'
    "\n      </dl>"
    "\n    </li>"
    "\n    "
)


class PassesFormat:
    """How a page's passes are shown, in the language active when it is made. The words are
    not escaped, as ``{% translate "..." %}`` does not escape a literal's translation; what
    comes from the data (stations, a card's brand and digits) is."""

    def __init__(self) -> None:
        self.language = get_language() or "ja"
        self.money_language = shown_language()
        self.date = DateFormatter("SHORT_DATE_FORMAT")
        self.tags = {
            "refunded": f'<span class="tag">{gettext("払いもどし済み")}</span>',
            "past": f'<span class="tag">{gettext("期限切れ")}</span>',
            "upcoming": f'<span class="tag tag--next">{gettext("これから")}</span>',
            "current": f'<span class="tag tag--current">{gettext("有効")}</span>',
        }
        self.via_term = gettext("経由")
        self.kinds = {
            PassKind.STUDENT: gettext("通学定期券"),
            PassKind.COMMUTER: gettext("通勤定期券"),
        }
        self.kind_term = gettext("種類")
        self.validity_term = gettext("有効期間")
        self.last_day = gettext("（本日が最終日）")
        self.price_term = gettext("発売額")
        self.payment_term = gettext("支払い")
        self.bought = gettext("（%(day)s 購入）")
        self.brands = {value: escape(str(label)) for value, label in Brand.choices}
        self.methods = {value: escape(str(label)) for value, label in PaymentMethodKind.choices}

    def place(self, name: str) -> str:
        """cards/templatetags/stations.py's ``place`` filter."""
        if not name:
            return ""
        if needs_lang_mark(name, self.language):
            return f'<span lang="ja">{escape(name)}</span>'
        return escape(display_name(name, self.language))

    def months(self, months: int) -> str:
        """``{% blocktranslate count months=... %}{{ months }}か月...``."""
        return ngettext("%(months)sか月", "%(months)sか月", months) % {"months": months}

    def left(self, line: PassLine) -> str:
        """The days left of the pass in use (nothing for the others)."""
        if line.state != "current":
            return ""
        if line.days_left == 0:
            text = self.last_day
        else:
            text = ngettext("（あと%(days)s日）", "（あと%(days)s日）", line.days_left) % {"days": line.days_left}
        soon = " pass-history__left--soon" if line.expires_soon else ""
        return f'<span class="pass-history__left{soon}">{text}</span>'

    def payment(self, commuter_pass) -> str:
        if commuter_pass.payment_method == PaymentMethodKind.CARD:
            brand = self.brands.get(commuter_pass.payment_brand, escape(commuter_pass.payment_brand))
            return f"{brand} ••••{escape(commuter_pass.payment_last4)}"
        return self.methods.get(commuter_pass.payment_method, escape(commuter_pass.payment_method))

    def item(self, line: PassLine) -> str:
        commuter_pass = line.commuter_pass
        via = commuter_pass.via
        return ITEM.format(
            past=" pass-history__item--past" if line.state in ("past", "refunded") else "",
            route=f"{self.place(commuter_pass.from_station)}⇔{self.place(commuter_pass.to_station)}",
            tag=self.tags.get(line.state, self.tags["current"]),
            via=f"<div><dt>{self.via_term}</dt><dd>{self.place(via)}</dd></div>" if via else "",
            kind_term=self.kind_term,
            kind=self.kinds[PassKind.STUDENT if commuter_pass.kind == PassKind.STUDENT else PassKind.COMMUTER],
            months=self.months(commuter_pass.months),
            validity_term=self.validity_term,
            valid_from=self.date(commuter_pass.valid_from),
            valid_until=self.date(commuter_pass.valid_until),
            left=self.left(line),
            price_term=self.price_term,
            price=money.yen(commuter_pass.price, self.money_language),
            payment_term=self.payment_term,
            payment=self.payment(commuter_pass),
            bought=self.bought % {"day": self.date(commuter_pass.paid_at.astimezone(JAPAN))},
        )


def pass_items(lines: list[PassLine]) -> SafeString:
    """The ``<li>`` of each pass, in order, as the card page's list holds them."""
    if not lines:
        return SafeString("")
    passes_format = PassesFormat()
    return SafeString("".join(passes_format.item(line) for line in lines))
