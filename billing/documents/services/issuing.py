"""What every document request shares: the number, the language, creating the ``pending``
row inside the limits, and sending its render task once the transaction commits."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.documents.exceptions import DocumentRequestInvalid, NoCardPayments
from billing.documents.models import (
    Document,
    DocumentCounter,
    DocumentKind,
    DocumentLanguage,
    DocumentOrigin,
    DocumentStatus,
)
from billing.documents.numbering import counter_key, format_number
from cards.window import japan_today
from portal import document_limits, mail, queue

logger = logging.getLogger("billing.documents.services")


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


def original_same_scope(member, *, kind: str, period_start=None, period_end=None, payment_ref="", refund=None, scope=""):
    """An original the member already has for exactly this request (not failed)."""
    found = Document.objects.filter(member=member, kind=kind, reissue_of__isnull=True).exclude(
        status=DocumentStatus.FAILED
    )
    if refund is not None:
        return found.filter(refund=refund).first()
    return found.filter(period_start=period_start, period_end=period_end, payment_ref=payment_ref,
                        scope=scope).first()


def document_create(
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


def document_existing(document: Document) -> DocumentRequested:
    return DocumentRequested(document, created=False)
