"""State changes for documents (利用明細書（領収書）, 払いもどし計算書, 利用履歴証明).

A request checks the document window, composes the content (the snapshot) and
creates the ``Document`` row ``pending`` in one transaction; after commit the
render task is sent to the ``documents`` queue. When the broker cannot be
reached the row simply stays ``pending`` (nothing is lost) and the beat task
:func:`documents_requeue_stuck` sends it again later.

Rendering and e-mailing can run twice with the same result: each takes the row
with ``select_for_update`` and returns when the work is already done, so a
replayed message neither makes a second document nor sends a second e-mail.
The e-mail itself is billing/documents/emailing.py.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.documents import composing as documents
from billing.documents.emailing import send_email, send_email_on_commit, wants_email
from billing.documents.exceptions import DocumentNotReady, DocumentRequestInvalid, NoCardPayments
from billing.documents.models import (
    Document,
    DocumentCounter,
    DocumentKind,
    DocumentLanguage,
    DocumentOrigin,
    DocumentStatus,
)
from billing.documents.numbering import counter_key, format_number
from billing.documents.receipts import JAPAN
from billing.documents.refund_statements import InconsistentRefund
from billing.documents.storage_errors import temporary_storage_errors
from billing.documents.usage_histories import ROUTE, SCOPES, UsageHistoryScope, station_key
from billing.documents.usage_histories import compose as compose_usage_history
from cards import payments
from cards.stations import find_station
from cards.window import check_in_window, japan_today, month_last_day
from portal import document_limits, mail, queue

logger = logging.getLogger(__name__)

#: A ``pending`` row whose render task was sent this long ago and has not
#: started is sent again; so is a ``rendering`` row that stopped (a worker lost
#: without its message coming back).
PENDING_RESEND_AFTER = timedelta(minutes=10)
RENDERING_RESEND_AFTER = timedelta(minutes=15)
EMAIL_RESEND_AFTER = timedelta(hours=6)


# --- Creating -------------------------------------------------------------------------------


def _allocate_number(kind: str) -> str:
    """The next number of ``kind`` for this Japan month. Runs inside the caller's
    transaction: the counter row stays locked until it commits, so two requests
    never get the same number (a failed transaction leaves no gap)."""
    today = japan_today()
    key = counter_key(kind, today.year, today.month)
    if not DocumentCounter.objects.filter(key=key).update(last=F("last") + 1):
        try:
            with transaction.atomic():
                DocumentCounter.objects.create(key=key, last=1)
        except IntegrityError:  # created meanwhile by another request
            DocumentCounter.objects.filter(key=key).update(last=F("last") + 1)
    return format_number(kind, today.year, today.month, DocumentCounter.objects.get(key=key).last)


def document_language(member, language: str | None) -> str:
    """The language a document is asked for in (the request form's, the page's by default);
    without one, the member's language from /settings/ (the monthly statement)."""
    if language is None:
        return mail.member_language(member)
    if language not in DocumentLanguage.values:
        raise DocumentRequestInvalid(_("書類の言語は、日本語か英語を選んでください。"))
    return language


RENDER_TASK = "billing.documents.tasks.document_render"


@dataclass
class DocumentRequested:
    """What a request (or a retry) did: ``created`` when a new document was
    made (``False``: the same one was made before), ``queued`` whether its
    render task reached the broker, known once the transaction has committed
    (``None`` before, or when there was nothing to render; ``False``: the row
    stays ``pending`` and beat sends it later)."""

    document: Document
    created: bool
    queued: bool | None = None


def _render_queued(document: Document, sent: bool, result: DocumentRequested | None = None) -> bool:
    if sent:
        Document.objects.filter(pk=document.pk).update(queued_at=timezone.now())
    else:
        logger.warning("document render not queued", extra={"document": document.pk})
    if result is not None:
        result.queued = sent
    return sent


def send_render(document: Document) -> bool:
    """Send the render task now; ``False`` (and the row stays ``pending``) when
    the broker cannot be reached."""
    return _render_queued(document, queue.task_send(RENDER_TASK, document.pk))


def send_render_on_commit(document: Document, result: DocumentRequested | None = None) -> None:
    """Send the render task once the transaction commits (beat sends again what was not queued)."""
    queue.task_send_on_commit(RENDER_TASK, document.pk, then=partial(_render_queued, document, result=result))


def _same_scope(member, *, kind: str, period_start=None, period_end=None, payment_ref="", refund=None, scope=""):
    """An original the member already has for exactly this request (not failed)."""
    found = Document.objects.filter(member=member, kind=kind, reissue_of__isnull=True).exclude(
        status=DocumentStatus.FAILED
    )
    if refund is not None:
        return found.filter(refund=refund).first()
    return found.filter(period_start=period_start, period_end=period_end, payment_ref=payment_ref,
                        scope=scope).first()


def _create(
    *, member, kind: str, content, total: int, language: str, origin: str = DocumentOrigin.REQUEST, **scope
) -> DocumentRequested:
    if origin == DocumentOrigin.REQUEST:  # a member's new request: over the limits, 429 and nothing stored
        document_limits.document_request_check(member)
    if kind == DocumentKind.RECEIPT and content.is_empty:  # nothing to receipt: no number, no row, no e-mail
        raise NoCardPayments(_("この期間に登録カードでのお支払いはありません。"))
    document = Document.objects.create(
        member=member,
        kind=kind,
        origin=origin,
        number=_allocate_number(kind),
        language=language,
        content=content.to_json(),
        total_amount=total,
        issuer_name=mail.operator_name(language),
        issuer_registration_number=settings.PORTAL_INVOICE_REGISTRATION_NUMBER,
        addressee_name=member.full_name,
        **scope,
    )
    result = DocumentRequested(document, created=True)
    send_render_on_commit(document, result)
    return result


def _existing(document: Document) -> DocumentRequested:
    return DocumentRequested(document, created=False)


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
    if start > end:
        raise DocumentRequestInvalid(_("期間の始めは終わりより前の日付にしてください。"))
    if end > today:
        raise DocumentRequestInvalid(_("期間の終わりは今日までの日付にしてください。"))
    check_in_window(start, today)
    existing = _same_scope(member, kind=DocumentKind.RECEIPT, period_start=start, period_end=end)
    if existing is not None:
        return _existing(existing)
    content = documents.period_receipt(member, start=start, end=end)
    return _create(member=member, kind=DocumentKind.RECEIPT, content=content, total=content.total,
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
    existing = _same_scope(member, kind=DocumentKind.RECEIPT, period_start=day, period_end=day, payment_ref=payment.ref)
    if existing is not None:
        return _existing(existing)
    content = documents.payment_receipt(payment)
    return _create(member=member, kind=DocumentKind.RECEIPT, content=content, total=content.total,
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
    existing = _same_scope(member, kind=DocumentKind.REFUND_STATEMENT, refund=refund)
    if existing is not None:
        return _existing(existing)
    try:
        content = documents.refund_content(refund)
    except InconsistentRefund as error:
        logger.error("refund does not add up: %s", error, extra={"refund": refund.pk})
        raise DocumentRequestInvalid(_(
            "この払いもどしの計算書は、計算を確認する必要があるため作成できませんでした。サポートセンターにお問い合わせください。"
        )) from error
    return _create(member=member, kind=DocumentKind.REFUND_STATEMENT, content=content, total=content.total,
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
    if start > end:
        raise DocumentRequestInvalid(_("期間の始めは終わりより前の日付にしてください。"))
    if end > today:
        raise DocumentRequestInvalid(_("期間の終わりは今日までの日付にしてください。"))
    check_in_window(start, today)
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
    existing = _same_scope(member, kind=DocumentKind.USAGE_HISTORY, period_start=start, period_end=end,
                           scope=wanted.key())
    if existing is not None:
        return _existing(existing)
    content = compose_usage_history(
        lines, member_name=member.full_name, period_start=start, period_end=end, scope=wanted,
        cards=documents.history_cards(cards),
    )
    if content.is_empty:
        raise DocumentRequestInvalid(NO_USAGE)
    return _create(member=member, kind=DocumentKind.USAGE_HISTORY, content=content, total=content.total,
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


# --- Rendering (the render task) ------------------------------------------------------------


def document_render(*, document_id: int) -> bool:
    """Make the PDF of a pending document; ``False`` when there is nothing to do
    (made already, failed, or unknown). Storage errors are raised for the task
    to retry; the row stays ``rendering`` meanwhile."""
    with transaction.atomic():
        document = Document.objects.select_for_update().filter(pk=document_id).first()
        if document is None or document.status not in (DocumentStatus.PENDING, DocumentStatus.RENDERING):
            return False
        now = timezone.now()
        document.status = DocumentStatus.RENDERING
        document.attempts += 1
        document.rendering_started_at = now
        if document.first_issued_at is None:
            document.first_issued_at = now  # the issue date printed on it
        document.save(update_fields=["status", "attempts", "rendering_started_at", "first_issued_at"])
    data = documents.render(document)
    storage = document.file.storage
    with temporary_storage_errors():  # an unreachable or throttling bucket: the task retries
        name = storage.save(document.file.field.generate_filename(document, "document.pdf"), ContentFile(data))
    with transaction.atomic():
        current = Document.objects.select_for_update(of=("self",)).select_related("member").get(pk=document_id)
        if current.status != DocumentStatus.RENDERING:  # another worker finished it meanwhile
            storage.delete(name)
            return False
        current.file.name = name
        current.sha256 = hashlib.sha256(data).hexdigest()
        current.status = DocumentStatus.READY
        current.rendered_at = timezone.now()
        current.failure_reason = ""
        current.save(update_fields=["file", "sha256", "status", "rendered_at", "failure_reason"])
        if wants_email(current):
            send_email_on_commit(current)
    logger.info("document ready", extra={"document": document_id, "kind": current.kind})
    return True


def document_render_failed(*, document_id: int, reason: str) -> None:
    """Retries ran out or the document cannot be made: ``failed`` with the reason."""
    with transaction.atomic():
        document = Document.objects.select_for_update().filter(pk=document_id).first()
        if document is None or document.status not in (DocumentStatus.PENDING, DocumentStatus.RENDERING):
            return
        document.status = DocumentStatus.FAILED
        document.failure_reason = reason[:2000]
        if not document.is_reprint:
            document.first_issued_at = None  # never issued: a retry is issued on its own day
        document.save(update_fields=["status", "failure_reason", "first_issued_at"])
    logger.warning("document failed", extra={"document": document_id, "reason": reason[:200]})


# --- Beat: requests the broker never got, monthly statements ---------------------------------


def documents_requeue_stuck(*, now=None) -> int:
    """Send again the render of every document the broker never got (or that
    stopped), and the e-mail of every ready one whose e-mail was never queued.
    Harmless to repeat: the tasks are idempotent."""
    now = now or timezone.now()
    stuck = Document.objects.filter(
        Q(status=DocumentStatus.PENDING, queued_at__isnull=True)
        | Q(status=DocumentStatus.PENDING, queued_at__lt=now - PENDING_RESEND_AFTER)
        | Q(status=DocumentStatus.RENDERING, rendering_started_at__lt=now - RENDERING_RESEND_AFTER)
    ).order_by("requested_at")
    sent = 0
    for document in stuck.iterator():
        if not send_render(document):
            return sent  # the broker is still away: try again at the next beat
        sent += 1
    unsent = Document.objects.filter(
        Q(email_queued_at__isnull=True) | Q(email_queued_at__lt=now - EMAIL_RESEND_AFTER),
        status=DocumentStatus.READY, emailed_at__isnull=True, email_failed_reason="",
        reissue_of__isnull=True, rendered_at__lt=now - timedelta(minutes=1),
    ).exclude(member__email="").select_related("member")
    for document in unsent.iterator():
        if not send_email(document):
            return sent
        sent += 1
    return sent


def monthly_statement_members(*, after: int = 0, limit: int | None = None) -> list[int]:
    """Members who asked for the monthly statement by e-mail, by id: the next ``limit`` of
    them after the id ``after`` (all of them without a limit)."""
    from accounts.models import Member

    found = (
        Member.objects.filter(email_monthly_statement=True, is_active=True, id__gt=after)
        .exclude(email="")
        .order_by("id")
        .values_list("id", flat=True)
    )
    return list(found if limit is None else found[:limit])


def monthly_statement_create(*, member_id: int, year: int, month: int) -> Document | None:
    """Last month's receipt for one member, made once (the ``document_monthly_once``
    constraint): a second beat run or a replayed task finds it and does nothing. A member
    with no card payment that month gets nothing (no number, no e-mail)."""
    from accounts.models import Member

    member = Member.objects.filter(pk=member_id, email_monthly_statement=True, is_active=True).first()
    if member is None:
        return None
    start = date(year, month, 1)
    end = month_last_day(year, month)
    try:
        with transaction.atomic():
            content = documents.period_receipt(member, start=start, end=end)
            if content.is_empty:
                return None
            return _create(member=member, kind=DocumentKind.RECEIPT, content=content, total=content.total,
                           language=mail.member_language(member), origin=DocumentOrigin.MONTHLY,
                           period_start=start, period_end=end).document
    except IntegrityError:
        if Document.objects.filter(member=member, origin=DocumentOrigin.MONTHLY, period_start=start,
                                   period_end=end).exists():
            return None  # made already
        raise
