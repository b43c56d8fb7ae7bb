"""The WESTER points ledger's lines (/points/) as HTML, one format string per line.

Through the template language each line was eight lookups, escapes and localisations, its
time formatted by Django's ``dateformat`` and its kind's and category's labels found by
walking their choices, again for every one of a page's (up to 100) lines: about a third of
the page's CPU (cProfile, 2026-12-07). Here the words and formats the lines share (the
kinds' and categories' labels, the figure's pattern, the date format) are made once per
language and process (:func:`points_format`) and each line is one string. The markup is the
one templates/cards/points.html's loop wrote, byte for byte: cards/tests/test_points_rendering.py
renders that loop as the reference for lines of every kind and category, in both languages.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from django.utils.safestring import SafeString
from django.utils.timezone import get_current_timezone
from django.utils.translation import gettext

from cards.models import PointsCategory, PointsKind
from cards.selectors import PointsLine
from cards.window import JAPAN
from portal.dateformats import DateFormatter
from portal.money import MINUS
from portal.per_language import once_per_language

# One line, inside points.html's <ol>, with the whitespace the template's loop left around it.
LINE = (
    '\n      <li class="line line--points">'
    '\n        <span class="line__when"><time datetime="{iso}">{when}</time></span>'
    '\n        <span class="line__kind"><span class="kind kind--points-{kind}">{kind_label}</span></span>'
    '\n        <span class="line__what">{what}</span>'
    '\n        <span class="line__amount num{plus}"><span class="vh">{points_word} </span>{shown}</span>'
    "\n      </li>\n      "
)


class PointsFormat:
    """How the ledger's lines are shown, in the language active when it is made. The words
    are not escaped, as ``{% translate "..." %}`` does not escape a literal's translation;
    the labels, as ``{{ }}`` escaped them, are."""

    def __init__(self) -> None:
        self.when = DateFormatter("SHORT_DATETIME_FORMAT")
        self.kinds = {value: escape(str(label)) for value, label in PointsKind.choices}
        detail = '<span class="line__detail">{}</span>'
        self.categories = {value: detail.format(escape(str(label))) for value, label in PointsCategory.choices}
        self.other = detail.format(escape(gettext("その他")))
        self.figure = gettext("%(sign)s%(points)s P")
        self.points_word = gettext("ポイント")

    def line(self, entry: PointsLine, local, japan) -> str:
        points = entry.points
        kind = entry.kind
        kind_label = self.kinds.get(kind)
        category = entry.category
        sign = MINUS if points < 0 else "+" if points > 0 else ""
        return LINE.format(
            iso=local.isoformat(),
            when=escape(self.when(japan)),
            kind=escape(kind),
            kind_label=kind_label if kind_label is not None else escape(kind),
            what=(self.categories.get(category) or self.other) if category else "",
            plus=" num--plus" if points > 0 else "",
            points_word=self.points_word,
            shown=escape(self.figure % {"sign": sign, "points": f"{abs(points):,}"}),
        )


#: The lines' words and formats in the active language (constants of the language and its formats).
points_format = once_per_language(PointsFormat)


def points_items(entries: Iterable[PointsLine]) -> SafeString:
    """The ``<li>`` of each ledger line, in order, as points.html's list holds them: the
    time in the current time zone in ``datetime``, shown in Japan time."""
    shown = points_format()
    zone = get_current_timezone()
    lines = []
    for entry in entries:
        local = entry.occurred_at.astimezone(zone)
        lines.append(shown.line(entry, local, local if zone is JAPAN else entry.occurred_at.astimezone(JAPAN)))
    return SafeString("".join(lines))
