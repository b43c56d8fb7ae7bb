"""The e-mail that carries a document's PDF, sent once (the mail task).

The attempt is counted first (its own commit); then the row is held with
``select_for_update`` while the message is sent and ``emailed_at`` recorded with
it, so a replayed task finds it sent. SMTP errors are raised for the task to
retry; when its retries run out the e-mail is marked failed and the member can
ask for it again.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from kombu.exceptions import OperationalError

from accounts.links import portal_url
from billing import documents
from billing.models import Document, DocumentStatus
from billing.pdf import TITLES, long_date
from billing.receipts import JAPAN, yen

logger = logging.getLogger(__name__)


def document_message(document: Document, pdf: bytes, file_name: str) -> EmailMessage:
    language = document.language
    with translation.override(language):
        context = {
            "document": document,
            "member_name": document.addressee_name,
            "title": TITLES[document.kind][language],
            "issued_on": long_date(document.first_issued_at.astimezone(JAPAN).date(), language),
            "period_start": long_date(document.period_start, language) if document.period_start else "",
            "period_end": long_date(document.period_end, language) if document.period_end else "",
            "single_payment": bool(document.payment_ref),
            "total": yen(document.total_amount, language),
            "monthly": document.origin == "monthly",
            "site_name": str(settings.PORTAL_SITE_NAME),
            "document_url": portal_url("documents:document-detail", document.public_id),
            "settings_url": portal_url("accounts:settings"),
        }
        subject = render_to_string(f"email/document_ready_subject.{language}.txt", context).strip()
        body = render_to_string(f"email/document_ready.{language}.txt", context)
    message = EmailMessage(subject=" ".join(subject.split()), body=body, to=[document.member.email])
    message.attach(file_name, pdf, "application/pdf")
    return message


def send_email(document: Document) -> bool:
    from billing import tasks

    try:
        tasks.document_email.apply_async((document.pk,), queue="mail")
    except (OperationalError, OSError) as error:
        logger.warning("document e-mail not queued: %s", type(error).__name__, extra={"document": document.pk})
        return False
    Document.objects.filter(pk=document.pk).update(email_queued_at=timezone.now())
    return True


# --- Sending (the mail task) ------------------------------------------------------------------


def wants_email(document: Document) -> bool:
    """Originals are e-mailed to the member; reprints are printed from the page."""
    return not document.is_reprint and bool(document.member.email)


def document_email(*, document_id: int) -> bool:
    """E-mail the PDF once. The attempt is counted first (its own commit); then
    the row is held while sending and ``emailed_at`` recorded with it, so a
    replayed task finds it sent. SMTP errors are raised for the task to retry."""
    with transaction.atomic():
        document = Document.objects.select_for_update(of=("self",)).select_related("member").filter(pk=document_id).first()
        if not _email_due(document):
            return False
        document.email_attempts += 1
        document.save(update_fields=["email_attempts"])
    with transaction.atomic():
        document = Document.objects.select_for_update(of=("self",)).select_related("member").get(pk=document_id)
        if not _email_due(document):
            return False
        with document.file.open("rb") as stored:
            data = stored.read()
        document_message(document, data, documents.file_name(document)).send()
        document.emailed_at = timezone.now()
        document.email_failed_reason = ""
        document.save(update_fields=["emailed_at", "email_failed_reason"])
    logger.info("document e-mailed", extra={"document": document_id})
    return True


def _email_due(document: Document | None) -> bool:
    return (
        document is not None
        and document.status == DocumentStatus.READY
        and document.emailed_at is None
        and not document.email_failed_reason
        and wants_email(document)
    )


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
        transaction.on_commit(lambda: send_email(document))
    return document
