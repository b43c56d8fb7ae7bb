"""A member's requests: a receipt (a period, a month or one payment), a refund statement, a
usage history, a reprint and a retry. Each checks the window, composes the content once and
creates the row, or gives back the original the member already has for the same request."""

from __future__ import annotations

import logging
from datetime import date

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from billing.documents import composing as documents
from billing.documents.exceptions import DocumentNotReady, DocumentRequestInvalid
from billing.documents.models import Document, DocumentKind, DocumentOrigin, DocumentStatus
from billing.documents.receipts import JAPAN
from billing.documents.refund_statements import InconsistentRefund
from billing.documents.services.issuing import (
    DocumentRequested,
    document_create,
    document_existing,
    document_language,
    original_same_scope,
    send_render_on_commit,
)
from billing.documents.usage_histories import ROUTE, SCOPES, UsageHistoryScope, station_key
from billing.documents.usage_histories import compose as compose_usage_history
from cards import payments
from cards.stations import find_station
from cards.window import check_in_window, japan_today, month_last_day
from portal import mail

logger = logging.getLogger("billing.documents.services")


def _check_period(start: date, end: date, today: date) -> None:
    """A period of Japan dates a document may cover: in order, not past today, in the window."""
    if start > end:
        raise DocumentRequestInvalid(_("期間の始めは終わりより前の日付にしてください。"))
    if end > today:
        raise DocumentRequestInvalid(_("期間の終わりは今日までの日付にしてください。"))
    check_in_window(start, today)


@transaction.atomic
def receipt_request(
    *, member, start: date, end: date, today: date | None = None, language: str | None = None
) -> DocumentRequested:
    """A receipt of the member's card payments from ``start`` to ``end`` (Japan
    dates, both included), in ``language`` (``ja`` or ``en``; the member's by default).
    Asking again for exactly the same period gives the document already made, whatever
    its language (print it again, in either language, with 再発行) rather than a second
    original."""
    language = document_language(member, language)
    today = today or japan_today()
    _check_period(start, end, today)
    existing = original_same_scope(member, kind=DocumentKind.RECEIPT, period_start=start, period_end=end)
    if existing is not None:
        return document_existing(existing)
    content = documents.period_receipt(member, start=start, end=end)
    return document_create(member=member, kind=DocumentKind.RECEIPT, content=content, total=content.total,
                   language=language, period_start=start, period_end=end)


def month_bounds(year: int, month: int, today: date) -> tuple[date, date]:
    """A Japan calendar month; the month in progress ends today."""
    if not 1 <= month <= 12:
        raise DocumentRequestInvalid(_("月の指定が正しくありません。"))
    start = date(year, month, 1)
    if start > today:
        raise DocumentRequestInvalid(_("これからの月の明細書は作成できません。"))
    return start, min(month_last_day(year, month), today)


def receipt_request_month(
    *, member, year: int, month: int, today: date | None = None, language: str | None = None
) -> DocumentRequested:
    today = today or japan_today()
    start, end = month_bounds(year, month, today)
    return receipt_request(member=member, start=start, end=end, today=today, language=language)


@transaction.atomic
def receipt_request_payment(
    *, member, payment_ref: str, today: date | None = None, language: str | None = None
) -> DocumentRequested:
    """A receipt for one card payment (``charge:<id>`` or ``pass:<id>``) of the member's."""
    language = document_language(member, language)
    today = today or japan_today()
    payment = payments.member_card_payment(member, payment_ref)
    if payment is None:
        raise DocumentRequestInvalid(_("指定のお支払いが見つかりません。"))
    day = payment.at.astimezone(JAPAN).date()
    check_in_window(day, today)
    existing = original_same_scope(member, kind=DocumentKind.RECEIPT, period_start=day, period_end=day, payment_ref=payment.ref)
    if existing is not None:
        return document_existing(existing)
    content = documents.payment_receipt(payment)
    return document_create(member=member, kind=DocumentKind.RECEIPT, content=content, total=content.total,
                   language=language, period_start=day, period_end=day, payment_ref=payment.ref)


@transaction.atomic
def refund_statement_request(
    *, member, refund, today: date | None = None, language: str | None = None
) -> DocumentRequested:
    """The 払いもどし計算書 of one of the member's refunds (one original per refund)."""
    language = document_language(member, language)
    today = today or japan_today()
    if refund.card.member_id != member.pk:
        raise DocumentRequestInvalid(_("指定の払いもどしが見つかりません。"))
    check_in_window(refund.refunded_at.astimezone(JAPAN).date(), today)
    existing = original_same_scope(member, kind=DocumentKind.REFUND_STATEMENT, refund=refund)
    if existing is not None:
        return document_existing(existing)
    try:
        content = documents.refund_content(refund)
    except InconsistentRefund as error:
        logger.error("refund does not add up: %s", error, extra={"refund": refund.pk})
        raise DocumentRequestInvalid(_(
            "この払いもどしの計算書は、計算を確認する必要があるため作成できませんでした。サポートセンターにお問い合わせください。"
        )) from error
    return document_create(member=member, kind=DocumentKind.REFUND_STATEMENT, content=content, total=content.total,
                   language=language, refund=refund)


NO_USAGE = _("この条件に合うご利用（乗車・バス・お買い物）はありません。期間や条件を変えてお申し込みください。")
UNKNOWN_STATION = _("駅「%(name)s」が見つかりません。駅名を確かめて入力してください（例: 大阪、三ノ宮）。")


def _route_stations(texts, lines) -> tuple[str, str]:
    """The two stations as the feed names them: a station of the station table (in
    Japanese or English), or one the member's rides in the period name. Anything else
    is refused, naming what was typed."""
    ridden = {station_key(name) for line in lines for name in (line.from_station, line.to_station)}
    found = []
    for text in texts:
        name = find_station(text)
        if name is None and station_key(text) in ridden:
            name = station_key(text)
        if not name:
            raise DocumentRequestInvalid(str(UNKNOWN_STATION) % {"name": (text or "").strip()[:40]})
        found.append(name)
    return found[0], found[1]


@transaction.atomic
def usage_history_request(
    *, member, start: date, end: date, scope: str = "all", card: str = "", stations: tuple[str, str] | None = None,
    today: date | None = None, language: str | None = None,
) -> DocumentRequested:
    """A 利用履歴証明 of the member's usage from ``start`` to ``end`` (Japan dates, both
    included): of one card (its public id; with the cards its reissues replaced) or all,
    of the kinds ``scope`` names (billing/documents/usage_histories.py), for ``route`` the
    rides between ``stations`` either way. Refused, with nothing stored or queued: a
    period outside the window or ahead of today, a card that is not the member's, an
    unknown station, nothing to list. Asking again for exactly the same gives the
    document already made. In ``language`` (``ja`` or ``en``; the member's by default)."""
    language = document_language(member, language)
    today = today or japan_today()
    _check_period(start, end, today)
    if scope not in SCOPES:
        raise DocumentRequestInvalid(_("利用履歴証明に載せられるのは、乗車・バス・お買い物です。"))
    if (scope == ROUTE) != bool(stations and len(stations) == 2 and all(stations)):
        raise DocumentRequestInvalid(_("2つの駅の間の乗車だけを載せるときは、駅を2つ指定してください。"))
    cards = documents.usage_history_cards(member, card)
    if cards is None:
        raise DocumentRequestInvalid(_("このカードは見つかりません。"))
    card = str(cards[0].public_id) if card else ""  # an old card of a reissue chain stands for the chain
    lines = documents.usage_history_lines(cards, start=start, end=end, kinds=SCOPES[scope])
    route = _route_stations(stations, lines) if scope == ROUTE else None
    if route is not None and route[0] == route[1]:
        raise DocumentRequestInvalid(_("2つの駅には、違う駅を指定してください。"))
    wanted = UsageHistoryScope(name=scope, card=card, stations=route)
    existing = original_same_scope(member, kind=DocumentKind.USAGE_HISTORY, period_start=start, period_end=end,
                           scope=wanted.key())
    if existing is not None:
        return document_existing(existing)
    content = compose_usage_history(
        lines, member_name=member.full_name, period_start=start, period_end=end, scope=wanted,
        cards=documents.history_cards(cards),
    )
    if content.is_empty:
        raise DocumentRequestInvalid(NO_USAGE)
    return document_create(member=member, kind=DocumentKind.USAGE_HISTORY, content=content, total=content.total,
                   language=language, period_start=start, period_end=end, scope=wanted.key())


@transaction.atomic
def document_reprint(*, member, document: Document, language: str | None = None) -> Document:
    """Print an issued document again, in ``language`` (the original's by default): the
    reprint (再発行) has the same number, content (every figure, read from the stored
    content) and first issue date, marked 再発行, its labels in its own language. One
    reprint per language is made; printing again later in that language gives the same
    reprint and counts it. The issuer's name is the one the original printed, or, in the
    other language, the operator's name as written in that language."""
    original = Document.objects.select_for_update().get(pk=document.reissue_of_id or document.pk, member=member)
    language = original.language if language is None else document_language(member, language)
    if original.status != DocumentStatus.READY:
        raise DocumentNotReady(_("発行が済んでいない書類は再発行できません。"))
    original.reissue_count += 1
    original.save(update_fields=["reissue_count"])
    reprint = Document.objects.filter(reissue_of=original, language=language).first()
    if reprint is None:
        issuer_name = original.issuer_name if language == original.language else mail.operator_name(language)
        reprint = Document.objects.create(
            member=member, kind=original.kind, origin=DocumentOrigin.REPRINT, number=original.number,
            reissue_of=original, period_start=original.period_start, period_end=original.period_end,
            payment_ref=original.payment_ref, scope=original.scope, refund=original.refund, language=language,
            content=original.content, total_amount=original.total_amount, issuer_name=issuer_name,
            issuer_registration_number=original.issuer_registration_number,
            addressee_name=original.addressee_name, first_issued_at=original.first_issued_at,
        )
        send_render_on_commit(reprint)
    elif reprint.status == DocumentStatus.FAILED:
        return document_retry(member=member, document=reprint).document
    return reprint


@transaction.atomic
def document_retry(*, member, document: Document) -> DocumentRequested:
    """Try a failed document again (the member's 「もう一度作成する」)."""
    document = Document.objects.select_for_update().get(pk=document.pk, member=member)
    result = DocumentRequested(document, created=False)
    if document.status != DocumentStatus.FAILED:
        return result
    document.status = DocumentStatus.PENDING
    document.failure_reason = ""
    document.save(update_fields=["status", "failure_reason"])
    send_render_on_commit(document, result)
    return result
