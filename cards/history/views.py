"""利用履歴 (/history/) and its CSV export (/history/export.csv): parse the
query parameters, read through the selectors, render."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from itertools import groupby
from operator import attrgetter

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from cards.history import csv as history_csv
from cards.history.filter_panel import filter_panel
from cards.history.filters import HistoryFilterForm, encode_cursor, japan_date
from cards.history.rendering import LinesFormat, MonthGroup, months_format
from cards.history.selectors import (
    PAGE_SIZE,
    HistoryQuery,
    MemberCards,
    history_page,
    member_cards,
    month_totals,
    query_for,
)
from cards.window import japan_today
from portal import limits

TEMPLATE = "cards/history/history_list.html"


def _bind(request: HttpRequest, cards: MemberCards, today: date) -> HistoryFilterForm:
    """The filter form bound to the query string. A card that is not the
    member's is a 404, as everywhere in the portal; an old card of a reissue
    chain stands for the whole chain (shown as its newest card)."""
    data = request.GET.copy()
    public_id = (data.get("card") or "").strip()
    if public_id:
        card = cards.by_public_id(public_id)
        if card is None:
            raise Http404("no such card")
        data["card"] = str(cards.newest_of(card).public_id)
    return HistoryFilterForm(data, cards=cards, today=today)


def _query(form: HistoryFilterForm, cards: MemberCards) -> HistoryQuery:
    data = form.cleaned_data
    scope = cards.chain(data["card"]) if data["card"] else cards.cards
    # Without an end date: up to tomorrow (a record stamped a little ahead
    # of our clock still shows). A bounded range lets PostgreSQL skip the
    # months ahead and read the monthly partitions in order, newest first.
    last_day = data["last_day"] or form.today + timedelta(days=1)
    return query_for(scope, first_day=data["first_day"], last_day=last_day, kinds=data["kinds"])


#: The history's kinds a 利用履歴証明 (billing/documents) can list, and the scope it is
#: asked for with; the others (charges, passes, refunds, adjustments) are not on it.
PRINT_SCOPES = {None: "all", "ride": "ride", "bus": "bus", "purchase": "purchase"}


@dataclass(frozen=True)
class PrintRequest:
    """The filters in force as the hidden fields of 「この条件で印刷用PDFを作成」
    (``scope`` None: the kind filtered on cannot be printed)."""

    card: str
    start: date
    end: date
    scope: str | None


def _print_request(form: HistoryFilterForm) -> PrintRequest:
    data = form.cleaned_data
    end = min(data["last_day"] or form.today, form.today)
    return PrintRequest(
        card=str(data["card"].public_id) if data["card"] else "",
        start=data["first_day"],
        end=end,
        scope=PRINT_SCOPES.get(data["kind"]),
    )


def _private(response: HttpResponse) -> HttpResponse:
    patch_cache_control(response, private=True, no_store=True)
    return response


def _refused(request: HttpRequest, form: HistoryFilterForm, cards: MemberCards) -> HttpResponse:
    """The form with its messages and no history: 400."""
    earliest = japan_date(form.earliest)
    context = {
        "form": form,
        "cards": cards,
        "earliest": earliest,
        "filters_html": filter_panel(form, earliest),
        "refused": True,
    }
    return _private(render(request, TEMPLATE, context, status=400))


@login_required
@require_GET
def history_list(request: HttpRequest) -> HttpResponse:
    cards = member_cards(request.user)
    form = _bind(request, cards, japan_today())
    if not form.is_valid():
        return _refused(request, form, cards)
    query = _query(form, cards)
    after = form.cleaned_data["after"]
    page = history_page(query, after=after, size=PAGE_SIZE)
    totals = {(t.year, t.month): t for t in month_totals(query, (line.month for line in page.lines))}
    lines_format = LinesFormat(many_cards=len(query.cards) > 1)
    groups = [
        MonthGroup(total=totals[month], lines_html=lines_format.lines_html(lines))
        for month, lines in groupby(page.lines, key=attrgetter("month"))
    ]
    earliest = japan_date(form.earliest)
    context = {
        "form": form,
        "cards": cards,
        "groups": groups,
        "months_html": months_format().months_html(groups),
        "earliest": earliest,
        "filters_html": filter_panel(form, earliest),
        "is_first_page": after is None,
        "page_size": PAGE_SIZE,
        "next_query": form.query_string(after=encode_cursor(page.next_position)) if page.next_position else "",
        "first_query": form.query_string(after=None),
        "export_query": form.query_string(after=None),
        "print_request": _print_request(form),
    }
    return _private(render(request, TEMPLATE, context))


@login_required
@require_GET
@limits.limited(limits.HISTORY_CSV, limits.member)  # over it: 429 (portal/limits.py)
def history_export(request: HttpRequest) -> HttpResponse:
    """The filtered history as CSV, streamed: a year of records in constant memory."""
    cards = member_cards(request.user)
    today = japan_today()
    form = _bind(request, cards, today)
    if not form.is_valid():
        return _refused(request, form, cards)
    query = _query(form, cards)
    response = StreamingHttpResponse(history_csv.rows(query), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="icoca-history-{today:%Y%m%d}.csv"'
    return _private(response)
