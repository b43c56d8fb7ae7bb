"""Celery tasks of payment methods: take ids, call one service (imported inside
each task: the services name the tasks, never import them, portal/queue.py)."""

from __future__ import annotations

from celery import shared_task

from cards.window import japan_today
from portal import mail


@shared_task(time_limit=300, soft_time_limit=240)
def payment_card_expiry_reminders_queue() -> int:
    """Daily (Celery beat): enqueue the reminder for each payment card that
    expires within 30 days and has not had one for that expiry."""
    from billing.payment_methods.services.reminders import expiry_reminders_queue

    return len(expiry_reminders_queue(today=japan_today()))


@shared_task(base=mail.EmailTask)
def payment_card_expiry_reminder_send(reminder_id: int) -> bool:
    """One reminder e-mail (enqueued on the ``mail`` queue); sends once."""
    from billing.payment_methods.services.reminders import expiry_reminder_send

    return expiry_reminder_send(reminder_id=reminder_id)


@shared_task(time_limit=300, soft_time_limit=240)
def payment_registrations_expire() -> int:
    """Every few minutes (Celery beat): end the registrations nobody came back from."""
    from billing.payment_methods.services.registration import payment_registrations_expire

    return payment_registrations_expire()
