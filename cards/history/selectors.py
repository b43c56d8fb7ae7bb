"""Reads of the usage history (利用履歴) that the views share: a member's
cards, a page of lines after a keyset position, every line for the CSV, and
the totals per Japan month.

Paging is by keyset, never OFFSET: a page is "the next N lines after this
position", where a position is ``(occurred_at, source, id)`` and the order is
that triple descending. A page costs the same two statements on the first
page and a hundred pages deep (cards/history/reads.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, timedelta

from cards.history.lines import (
    HISTORY_KINDS,
    PAGE_SIZE,
    PASS_KIND,
    REFUND_KIND,
    USAGE_KINDS,
    HistoryLine,
    HistoryPage,
    HistoryQuery,
    MemberCards,
    MonthTotal,
    Position,
    Source,
    line_from_row,
    payment_names,
)
from cards.history.reads import read_lines, read_month_totals
from cards.models import Card
from cards.window import japan_midnight
from portal import model_rows

__all__ = [
    "HISTORY_KINDS",
    "PAGE_SIZE",
    "PASS_KIND",
    "REFUND_KIND",
    "USAGE_KINDS",
    "HistoryLine",
    "HistoryPage",
    "HistoryQuery",
    "MemberCards",
    "MonthTotal",
    "Position",
    "Source",
    "history_lines",
    "history_page",
    "member_cards",
    "month_totals",
    "query_for",
]


#: A member's cards, oldest first: written out rather than built by the ORM, whose compiling
#: of the filter and the order was most of the read's CPU (0.56 ms with the ORM, 0.23 ms with
#: this, 300 reads, medians, 2026-12-07); the history page and /documents/ read them on every view.
CARDS_BY_ISSUE_SQL = "SELECT {columns} FROM {cards} WHERE member_id = %s ORDER BY issued_at, id"


def member_cards(member) -> MemberCards:
    """Every card of ``member`` (any status: old cards still have history). One query
    (:data:`CARDS_BY_ISSUE_SQL`)."""
    sql = CARDS_BY_ISSUE_SQL.format(cards=Card._meta.db_table, columns=model_rows.columns(Card))
    return MemberCards(model_rows.read(Card, sql, [member.pk]))


def history_page(query: HistoryQuery, *, after: Position | None = None, size: int = PAGE_SIZE) -> HistoryPage:
    """One page of ``size`` lines, newest first, after ``after``: one query."""
    cards = {card.pk: card for card in query.cards}
    names = payment_names()
    lines = [line_from_row(row, cards, names) for row in read_lines(query, after, size + 1)]
    if len(lines) > size:
        return HistoryPage(lines[:size], lines[size - 1].position)
    return HistoryPage(lines, None)


def history_lines(query: HistoryQuery, *, batch: int = 1000) -> Iterator[HistoryLine]:
    """Every line, newest first, read ``batch`` at a time with the keyset,
    so a year of history is streamed in constant memory."""
    position = None
    while True:
        page = history_page(query, after=position, size=batch)
        yield from page.lines
        if page.next_position is None:
            return
        position = page.next_position


def month_totals(query: HistoryQuery, months: Iterable[tuple[int, int]]) -> list[MonthTotal]:
    """The totals of the filtered history for each of ``months`` (Japan
    ``(year, month)``, e.g. those a page shows), newest first, in one query
    whatever the number of rows behind them."""
    wanted = sorted(set(months), reverse=True)
    totals = {month: MonthTotal(*month) for month in wanted}
    for year, month, total, paid, received, count in read_month_totals(query, wanted):
        totals[(year, month)].add(total=total, paid=paid, received=received, count=count)
    return list(totals.values())


def query_for(
    cards: Sequence[Card], *, first_day: date, last_day: date | None, kinds: Iterable[str] | None
) -> HistoryQuery:
    return HistoryQuery(
        cards=tuple(cards),
        start=japan_midnight(first_day),
        end=None if last_day is None else japan_midnight(last_day + timedelta(days=1)),
        kinds=None if kinds is None else frozenset(kinds),
    )
