"""Making a document (the render task): the PDF rendered and stored once, the row ``ready``
and its e-mail sent after the commit, or ``failed`` with the reason; and beat's resending of
what the broker never got."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from billing.documents import composing as documents
from billing.documents.emailing import send_email, send_email_on_commit, wants_email
from billing.documents.models import Document, DocumentStatus
from billing.documents.services.issuing import send_render
from billing.documents.storage_errors import temporary_storage_errors

logger = logging.getLogger("billing.documents.services")

#: A ``pending`` row whose render task was sent this long ago and has not
#: started is sent again; so is a ``rendering`` row that stopped (a worker lost
#: without its message coming back).
PENDING_RESEND_AFTER = timedelta(minutes=10)
RENDERING_RESEND_AFTER = timedelta(minutes=15)
EMAIL_RESEND_AFTER = timedelta(hours=6)


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
