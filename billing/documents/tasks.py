"""Celery tasks of documents: take ids, call one service. The services are
imported inside each task (they name the tasks, never import them: portal/queue.py)."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from cards.window import japan_today, last_month
from portal import mail

logger = logging.getLogger(__name__)

#: Temporary errors worth a retry: storage (disk; S3's unreachable endpoint, throttling and 5xx
#: come as ``StorageUnavailable``, an OSError: billing/documents/storage_errors.py) and the network.
TEMPORARY_STORAGE_ERRORS = (OSError, TimeoutError)


def _backoff(retries: int) -> int:
    """30 s, 60 s, 120 s … (DOCUMENT_RETRY_BACKOFF_SECONDS doubled), at most 30 minutes."""
    return min(settings.DOCUMENT_RETRY_BACKOFF_SECONDS * 2**retries, 1800)


# A year of a heavy member's card payments (2,000 lines, ~50 pages) renders in
# 15-45 s (docs/performance.md): the limits leave room for larger ones on a busy
# host and stay well under the broker's visibility timeout (3600 s).
@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None, time_limit=600,
             soft_time_limit=540)
def document_render(self, document_id: int) -> bool:
    """Render one document (queue ``documents``). Storage errors are retried
    with backoff; when the retries run out, or the document cannot be made at
    all, it is marked ``failed`` with the reason. Running twice is harmless."""
    from billing.documents import services as document_services

    try:
        return document_services.document_render(document_id=document_id)
    except TEMPORARY_STORAGE_ERRORS as error:
        if self.request.retries >= settings.DOCUMENT_RENDER_MAX_RETRIES:
            document_services.document_render_failed(
                document_id=document_id, reason=f"storage: {type(error).__name__}: {error}"
            )
            return False
        raise self.retry(exc=error, countdown=_backoff(self.request.retries)) from error
    except SoftTimeLimitExceeded:
        document_services.document_render_failed(document_id=document_id, reason="time limit exceeded")
        return False
    except Exception as error:
        # Not temporary (the content does not add up, a template error): retrying
        # would fail the same way. Support sees the reason on the row; the
        # traceback goes to the log.
        logger.exception("document render failed", extra={"document": document_id})
        document_services.document_render_failed(document_id=document_id, reason=f"{type(error).__name__}: {error}")
        return False


class DocumentEmailTask(mail.EmailTask):
    """The document e-mail's retries: ``DOCUMENT_EMAIL_MAX_RETRIES`` of them,
    ``DOCUMENT_RETRY_BACKOFF_SECONDS`` doubled each time (no jitter); when they
    run out the e-mail is marked failed (the PDF stays ready to download)."""

    retry_jitter = False

    def retries_allowed(self) -> int:
        return settings.DOCUMENT_EMAIL_MAX_RETRIES

    def backoff(self) -> int:
        return settings.DOCUMENT_RETRY_BACKOFF_SECONDS

    def give_up(self, error: BaseException, document_id: int) -> bool:
        from billing.documents import emailing as document_mail

        document_mail.document_email_failed(document_id=document_id, reason=f"{type(error).__name__}: {error}")
        return False


@shared_task(base=DocumentEmailTask)
def document_email(document_id: int) -> bool:
    """E-mail one ready document with its PDF attached (queue ``mail``), once."""
    from billing.documents import emailing as document_mail

    return document_mail.document_email(document_id=document_id)


@shared_task(time_limit=600, soft_time_limit=540)
def documents_requeue_stuck() -> int:
    """Every few minutes (Celery beat): send again what the broker never got."""
    from billing.documents import services as document_services

    return document_services.documents_requeue_stuck()


def documents_waiting() -> int | None:
    """Messages waiting on the ``documents`` queue; ``None`` when the broker cannot say."""
    from portal.celery import app

    if app.conf.task_always_eager:
        return None
    try:
        with app.connection_for_read() as connection:
            return connection.default_channel.queue_declare("documents", passive=True).message_count
    except Exception:  # a broker that cannot count: send without waiting
        logger.warning("documents queue length unknown", exc_info=True)
        return None


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=300, soft_time_limit=240)
def monthly_statements_queue(year: int | None = None, month: int | None = None, after: int = 0) -> int:
    """On the 1st of each month, Japan time (Celery beat): one task per member who wants last
    month's receipt by e-mail, sent ``DOCUMENT_MONTHLY_CHUNK`` members at a time (by id, after
    ``after``); each run sends the next chunk's run when it is done, and waits while the
    ``documents`` queue already holds ``DOCUMENT_MONTHLY_QUEUE_LIMIT`` messages, so memory here
    and in the broker stays bounded whatever the number of members. Running twice, or a chunk
    sent again (a worker lost: ``acks_late``), is harmless: each member's statement is made
    once. Returns the members sent by this run."""
    from billing.documents import services as document_services

    if year is None or month is None:
        year, month = last_month(japan_today())
    waiting = documents_waiting()
    if waiting is not None and waiting >= settings.DOCUMENT_MONTHLY_QUEUE_LIMIT:
        monthly_statements_queue.apply_async((year, month, after), countdown=settings.DOCUMENT_MONTHLY_PAUSE_SECONDS)
        return 0
    members = document_services.monthly_statement_members(after=after, limit=settings.DOCUMENT_MONTHLY_CHUNK)
    for member_id in members:
        monthly_statement_create.delay(member_id, year, month)
    if len(members) == settings.DOCUMENT_MONTHLY_CHUNK:
        monthly_statements_queue.apply_async((year, month, members[-1]))
    else:
        logger.info("monthly statements all sent", extra={"year": year, "month": month})
    return len(members)


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=300, soft_time_limit=240)
def monthly_statement_create(member_id: int, year: int, month: int) -> bool:
    """Make one member's monthly statement (rendered and e-mailed like any other)."""
    from billing.documents import services as document_services

    return document_services.monthly_statement_create(member_id=member_id, year=year, month=month) is not None
