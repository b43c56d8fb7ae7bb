"""The usage history as CSV for expense claims (交通費精算).

UTF-8 with a byte order mark, so that Excel in Japan opens it as UTF-8; CRLF
line ends; one row per history line with machine-readable dates
(``2026-11-20``, ``08:12:33``, Japan time) and amounts (``-580``, ``3000``).
Text cells that a spreadsheet would take for a formula are neutralised; the
numbers are left plain.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.utils import translation
from django.utils.translation import gettext

from cards.history.selectors import HISTORY_KINDS, HistoryLine, HistoryQuery, history_lines
from cards.models import Card

BOM = "\ufeff"
# What a spreadsheet may read as the start of a formula: the ASCII characters, and the
# full-width ones a Japanese input method types (Excel and LibreOffice take ＝ as =).
FORMULA_CHARACTERS = frozenset("=+-@＝＋－＠")
# A cell starting with one of these is neutralised whatever follows (OWASP).
CONTROL_STARTS = ("\t", "\r", "\n")
ROWS_PER_CHUNK = 200
BATCH = 1000  # lines read per query


class _Line:
    """A file-like object whose ``write`` hands back what it was given."""

    def write(self, value: str) -> str:
        return value


def header() -> list[str]:
    return [
        gettext("日付"),
        gettext("時刻"),
        gettext("カード"),
        gettext("種別"),
        gettext("区間（から）"),
        gettext("区間（まで）"),
        gettext("利用先"),
        gettext("金額"),
        gettext("残額"),
    ]


def safe_text(value: str) -> str:
    """A text cell a spreadsheet shows as text: one that starts like a formula gets a
    leading apostrophe (OWASP's advice against CSV injection). Like a formula: a tab, a
    carriage return or a line feed first, or a formula character (``=+-@`` or full-width
    ``＝＋－＠``) first or after leading white space (a spreadsheet may trim it:
    ``" =1+1"``, ``"\u3000＝1+1"``, ``"\n=1+1"``)."""
    if value and (value.startswith(CONTROL_STARTS) or value.lstrip()[:1] in FORMULA_CHARACTERS):
        return "'" + value
    return value


def card_text(card: Card) -> str:
    """``仕事用 JW•••••••••••0001``, or the masked number alone, spreadsheet-safe."""
    return safe_text(f"{card.nickname} {card.masked_number}" if card.nickname else card.masked_number)


def row(line: HistoryLine, labels: dict[str, str], cards: dict[int, str]) -> list[str | int]:
    """One line's cells; ``cards``: each card's cell by id, filled as the lines come
    (a file of 20,000 lines is on a few cards)."""
    local = line.local_time
    card = cards.get(line.card.pk)
    if card is None:
        card = cards[line.card.pk] = card_text(line.card)
    return [
        f"{local.year:04d}-{local.month:02d}-{local.day:02d}",
        f"{local.hour:02d}:{local.minute:02d}:{local.second:02d}",
        card,
        safe_text(labels.get(line.kind, line.kind)),
        safe_text(line.from_station),
        safe_text(line.to_station),
        safe_text(line.merchant),
        line.amount,
        "" if line.balance is None else line.balance,
    ]


def rows(query: HistoryQuery, *, language: str | None = None) -> Iterator[str]:
    """The file, in chunks of text: the BOM and header first, then the
    lines newest first, read with the keyset a batch at a time. The response
    is streamed after the view returned: the request's ``language`` is kept."""
    language = language or translation.get_language()
    writer = csv.writer(_Line(), lineterminator="\r\n")
    with translation.override(language):
        first = BOM + writer.writerow(header())
        labels = {kind: str(label) for kind, label in HISTORY_KINDS.items()}
    yield first
    chunk: list[str] = []
    cards: dict[int, str] = {}
    for line in history_lines(query, batch=BATCH):
        chunk.append(writer.writerow(row(line, labels, cards)))
        if len(chunk) >= ROWS_PER_CHUNK:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)
