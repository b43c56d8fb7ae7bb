"""A history page's lines as HTML, one format string per line.

Through the template language the fifty lines of a page cost about half the page's CPU
(cProfile, 2026-12-06): each line's fourteen variables and seven conditions were looked
up, localised and escaped one by one, its times, yen, stations and labels formatted, and
its words translated, again for every line. Here what every line of a page shares (the
language, the labels and patterns, a day's date, a station's name, a card's name) is
worked out once a page and each line is one string. The markup is the one the page had
in templates/cards/history/history_list.html's loop, byte for byte:
cards/tests/test_history_rendering.py renders that loop as the reference for lines of
every kind in both languages.

>>> from html import escape
>>> escape("JR <西日本> & 'B'")  # what the template language's autoescape did
'JR &lt;西日本&gt; &amp; &#x27;B&#x27;'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from html import escape

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, ngettext

from cards.history.formatting import WhenFormat
from cards.history.lines import HISTORY_KINDS, REFUND_KIND, HistoryLine, MonthTotal
from cards.models import Card
from cards.stations import display_name, needs_lang_mark
from portal import money
from portal.dateformats import DateFormatter
from portal.per_language import once_per_language
from portal.templatetags.money import shown_language

# One line of the list; {what} holds the optional parts, each on its own line.
LINE = (
    '\n      <li class="line line--{kind}">'
    '\n        <span class="line__when"><time datetime="{iso}">{when}</time></span>'
    '\n        <span class="line__kind"><span class="kind kind--{kind}">{kind_label}</span></span>'
    '\n        <span class="line__what">'
    "{what}"
    "\n        </span>"
    '\n        <span class="line__amount num{plus}"><span class="vh">{amount_label} </span>{amount}</span>'
    '\n        <span class="line__balance num">{balance}</span>'
    "\n      </li>\n      "
)
WHAT_INDENT = "\n          "
# One month of a page: its head with the month's totals, the column heads, then its lines.
MONTH = (
    '\n  <section class="month" aria-labelledby="{anchor}">'
    '\n    <div class="month__head">'
    '\n      <h3 id="{anchor}" class="month__title">{title}</h3>'
    '\n      <dl class="month__totals">'
    "\n        <div><dt>{spent_term}</dt><dd>{spent}</dd></div>"
    "\n        <div><dt>{received_term}</dt><dd>{received}</dd></div>"
    '\n        <div class="month__total"><dt>{total_term}</dt><dd>{total}</dd></div>'
    "\n        <div><dt>{count_term}</dt><dd>{count}</dd></div>"
    "\n      </dl>"
    '\n      <p class="month__note">{note}</p>'
    "\n    </div>"
    '\n    <div class="lines__head" aria-hidden="true">'
    '\n      {columns}'
    "\n    </div>"
    '\n    <ol class="lines">'
    "\n      {lines}"
    "\n    </ol>"
    "\n  </section>"
    "\n  "
)


@dataclass(frozen=True)
class LineWords:
    """What every line of a page says the same way, in the active language."""

    language: str
    money_language: str
    kind_labels: dict[str, str]
    paid_by: str
    refunded_to: str
    amount_label: str
    balance_label: str


def _line_words() -> LineWords:
    return LineWords(
        language=get_language() or "ja",
        money_language=shown_language(),
        kind_labels={kind: escape(str(label)) for kind, label in HISTORY_KINDS.items()},
        paid_by=gettext("支払い: %(by)s"),
        refunded_to=gettext("払いもどし先: %(to)s"),
        amount_label=escape(gettext("金額")),
        balance_label=escape(gettext("残額")),
    )


line_words = once_per_language(_line_words)


class LinesFormat:
    """How the lines of one page are shown, in the language active when it is made."""

    def __init__(self, *, many_cards: bool) -> None:
        self.many_cards = many_cards
        self.when = WhenFormat()
        words = line_words()
        self.language, self.money_language, self.kind_labels = words.language, words.money_language, words.kind_labels
        self.paid_by, self.refunded_to = words.paid_by, words.refunded_to
        self.amount_label, self.balance_label = words.amount_label, words.balance_label
        self._places: dict[str, str] = {}
        self._cards: dict[int, str] = {}

    def place(self, name: str) -> str:
        """A station, operator or shop as HTML in the page's language
        (cards/templatetags/stations.py's ``place_html``), once per name a page."""
        html = self._places.get(name)
        if html is None:
            if not name:
                html = ""
            elif needs_lang_mark(name, self.language):
                html = f'<span lang="ja">{escape(name)}</span>'
            else:
                html = escape(display_name(name, self.language))
            self._places[name] = html
        return html

    def route(self, line: HistoryLine) -> str:
        """``大阪 → 京都`` (a ride, a pass's section), each station in the page's language."""
        if line.from_station and line.to_station:
            return f"{self.place(line.from_station)} → {self.place(line.to_station)}"
        return self.place(line.from_station or line.to_station)

    def payment(self, line: HistoryLine) -> str:
        """How it was paid, or where a refund went, in words."""
        if not line.payment:
            return ""
        if line.kind == REFUND_KIND:
            return self.refunded_to % {"to": line.payment}
        return self.paid_by % {"by": line.payment}

    def card(self, card: Card) -> str:
        """The card a line is on (when the page shows several)."""
        html = self._cards.get(card.pk)
        if html is None:
            html = (
                f'<span class="line__card">{escape(card.nickname or "ICOCA")} '
                f'<span class="line__number">{escape(card.masked_number)}</span></span>'
            )
            self._cards[card.pk] = html
        return html

    def line_html(self, line: HistoryLine) -> str:
        local = line.local_time
        route = self.route(line)
        merchant = self.place(line.merchant)
        payment = self.payment(line)
        what = WHAT_INDENT.join(
            (
                "",
                f'<span class="line__route">{route}</span>' if route else "",
                f'<span class="line__merchant">{merchant}</span>' if merchant else "",
                f'<span class="line__detail">{escape(line.detail)}</span>' if line.detail else "",
                f'<span class="line__payment">{escape(payment)}</span>' if payment else "",
                self.card(line.card) if self.many_cards else "",
            )
        )
        balance = (
            ""
            if line.balance is None
            else f'<span class="line__label">{self.balance_label} </span>{money.yen(line.balance, self.money_language)}'
        )
        kind = escape(line.kind)
        return LINE.format(
            kind=kind,
            iso=local.isoformat(),
            when=escape(self.when(local)),
            kind_label=self.kind_labels.get(line.kind, kind),
            what=what,
            plus=" num--plus" if line.amount > 0 else "",
            amount_label=self.amount_label,
            amount=money.signed_yen(line.amount, self.money_language),
            balance=balance,
        )

    def lines_html(self, lines: Iterable[HistoryLine]) -> SafeString:
        """The ``<li>`` of each line, as the list's content."""
        return mark_safe("".join(self.line_html(line) for line in lines))  # noqa: S308 (every value escaped above)


@dataclass(frozen=True)
class MonthGroup:
    """The lines of one Japan month on a page, with the month's totals."""

    total: MonthTotal
    lines_html: SafeString  # the month's lines on the page (LinesFormat)

    @property
    def anchor(self) -> str:
        return f"month-{self.total.year:04d}-{self.total.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.total.year, self.total.month, 1)


class MonthsFormat:
    """How the months of one page are shown (each month's head, totals and column heads, then
    its lines from :class:`LinesFormat`), in the language active when it is made. The words are
    not escaped, as ``{% translate "..." %}`` does not escape a literal's translation."""

    def __init__(self) -> None:
        self.title = DateFormatter("YEAR_MONTH_FORMAT")
        self.spent_term = gettext("使った金額")
        self.received_term = gettext("チャージ・入金")
        self.total_term = gettext("残額の増減")
        self.count_term = gettext("件数")
        self.note = gettext("合計はこの月の、条件に合うすべての利用です（このページに表示していない分も含みます）。")
        self.columns = (
            f"<span>{gettext('日時')}</span><span>{gettext('種別')}</span><span>{gettext('内容')}</span>"
            f'<span class="num">{gettext("金額")}</span><span class="num">{gettext("残額")}</span>'
        )

    def month_html(self, group: MonthGroup) -> str:
        total = group.total
        return MONTH.format(
            anchor=group.anchor,
            title=escape(self.title(group.first_day)),
            spent_term=self.spent_term,
            spent=escape(total.spent_text),
            received_term=self.received_term,
            received=escape(total.received_text),
            total_term=self.total_term,
            total=escape(total.total_text),
            count_term=self.count_term,
            count=ngettext("%(counter)s件", "%(counter)s件", total.count) % {"counter": total.count},
            note=self.note,
            columns=self.columns,
            lines=group.lines_html,
        )

    def months_html(self, groups: Iterable[MonthGroup]) -> SafeString:
        """Each month's ``<section>``, in order, as the results hold them."""
        return mark_safe("".join(self.month_html(group) for group in groups))  # noqa: S308 (escaped above)


#: The months' format of the active language, made once per language and process: it holds
#: nothing of a page.
months_format = once_per_language(MonthsFormat)
