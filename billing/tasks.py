"""Celery tasks of the billing app: take ids, call one service."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task
from django.utils import timezone

from billing import services


@shared_task(time_limit=300, soft_time_limit=240)
def payment_card_expiry_reminders_queue() -> int:
    """Daily (Celery beat): enqueue the reminder for each payment card that
    expires within 30 days and has not had one for that expiry."""
    return len(services.expiry_reminders_queue(today=timezone.localdate()))


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=30,
    retry_backoff_max=1800,
    retry_jitter=True,
    max_retries=8,
    time_limit=120,
    soft_time_limit=90,
)
def payment_card_expiry_reminder_send(reminder_id: int) -> bool:
    """One reminder e-mail (enqueued on the ``mail`` queue); sends once."""
    return services.expiry_reminder_send(reminder_id=reminder_id)


@shared_task(time_limit=300, soft_time_limit=240)
def payment_registrations_expire() -> int:
    """Every few minutes (Celery beat): end the registrations nobody came back from."""
    return services.payment_registrations_expire()
