"""The e-mail that carries a document's PDF, sent once by the mail task
(``portal.mail``: the document is claimed by setting ``emailed_at``, the
attempt counted with the claim; a failed send gives the claim back and raises
for the task to retry). When the retries run out the e-mail is marked failed
(``email_failed_reason``) and the member (or support) can ask for it again.
"""

from __future__ import annotations

import logging
from functools import partial

from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.links import portal_url
from billing.documents import composing as documents
from billing.documents import wording
from billing.documents.exceptions import DocumentNotReady
from billing.documents.models import Document, DocumentStatus
from billing.documents.rendering import long_date
from billing.documents.storage_errors import temporary_storage_errors
from cards.window import JAPAN
from portal import mail, queue
from portal.money import yen

logger = logging.getLogger(__name__)


def _context(document: Document) -> dict[str, object]:
    language = document.language
    with translation.override(language):
        title = wording.title(document.kind)
    return {
        "document": document,
        "member_name": document.addressee_name,
        "title": title,
        "issued_on": long_date(document.first_issued_at.astimezone(JAPAN).date(), language),
        "period_start": long_date(document.period_start, language) if document.period_start else "",
        "period_end": long_date(document.period_end, language) if document.period_end else "",
        "single_payment": bool(document.payment_ref),
        "total": yen(document.total_amount, language),
        "monthly": document.origin == "monthly",
        "document_url": portal_url("documents:document-detail", document.public_id),
    }


def document_email_send(document: Document) -> None:
    """Send the PDF of a ready document to its member now, in the document's
    language (the one asked for on the request form). Raises what the mail server (or
    the file store) raises."""
    with temporary_storage_errors(), document.file.open("rb") as stored:  # retried like the mail server
        data = stored.read()
    mail.member_email_send(
        member=document.member,
        template="document_ready",
        language=document.language,
        context=_context(document),
        attachments=[mail.Attachment(documents.file_name(document), data, "application/pdf")],
    )


EMAIL_TASK = "billing.documents.tasks.document_email"


def _email_queued(document: Document, sent: bool) -> bool:
    if sent:
        Document.objects.filter(pk=document.pk).update(email_queued_at=timezone.now())
    else:
        logger.warning("document e-mail not queued", extra={"document": document.pk})
    return sent


def send_email(document: Document) -> bool:
    """Send the e-mail task now; ``False`` when the broker cannot be reached."""
    return _email_queued(document, queue.task_send(EMAIL_TASK, document.pk))


def send_email_on_commit(document: Document) -> None:
    """Send the e-mail task once the transaction commits (beat sends again what was not queued)."""
    queue.task_send_on_commit(EMAIL_TASK, document.pk, then=partial(_email_queued, document))


# --- Sending (the mail task) ------------------------------------------------------------------


def wants_email(document: Document) -> bool:
    """Originals are e-mailed to the member; reprints are printed from the page."""
    return not document.is_reprint and bool(document.member.email)


def document_email(*, document_id: int) -> bool:
    """E-mail the PDF once (see the module's docstring); ``False`` when there is
    nothing to send (sent already, not ready, failed, no address). Reprints are
    sent only when support asks (:func:`document_email_resend`)."""
    due = Document.objects.filter(pk=document_id, status=DocumentStatus.READY, email_failed_reason="").exclude(
        member__email=""
    )

    def send() -> None:
        document_email_send(Document.objects.select_related("member").get(pk=document_id))

    sent = mail.send_once(due, "emailed_at", send, email_attempts=F("email_attempts") + 1)
    if sent:
        logger.info("document e-mailed", extra={"document": document_id})
    return sent


def document_email_failed(*, document_id: int, reason: str) -> None:
    Document.objects.filter(pk=document_id, emailed_at__isnull=True).update(email_failed_reason=reason[:2000])
    logger.warning("document e-mail failed", extra={"document": document_id, "reason": reason[:200]})


@transaction.atomic
def document_email_retry(*, member, document: Document) -> Document:
    """Send a document whose e-mail failed again (the member's 「メールを再送する」)."""
    document = Document.objects.select_for_update().get(pk=document.pk, member=member)
    if document.status == DocumentStatus.READY and document.emailed_at is None and document.email_failed_reason:
        document.email_failed_reason = ""
        document.save(update_fields=["email_failed_reason"])
        send_email_on_commit(document)
    return document


@transaction.atomic
def document_email_resend(*, member, document: Document) -> Document:
    """Send a ready document to the member again through the mail queue
    (support's 「書類をメールで再送」): an e-mail that failed is tried again, one
    already sent (or a reprint) goes once more. The row is claimed again like
    the first time, so a replayed message still sends once."""
    document = Document.objects.select_for_update().get(pk=document.pk, member=member)
    if document.status != DocumentStatus.READY:
        raise DocumentNotReady(_("作成が済んでいない書類は送れません。"))
    document.emailed_at = None
    document.email_failed_reason = ""
    document.save(update_fields=["emailed_at", "email_failed_reason"])
    send_email_on_commit(document)
    return document
