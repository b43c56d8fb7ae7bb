"""Celery tasks of the cards app: take ids, call one service."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from cards import selectors, services
from cards.window import japan_today
from portal import mail


@shared_task(time_limit=600, soft_time_limit=540)
def usage_partitions_upkeep() -> list[str]:
    return services.usage_partitions_upkeep(ahead=settings.USAGE_PARTITIONS_AHEAD_MONTHS)


@shared_task(time_limit=300, soft_time_limit=240)
def pass_reminders_send() -> int:
    """Daily at 09:00 Japan time (Celery beat): one reminder task for each
    commuter pass that ends within 14 days and has not had its reminder.
    Running it twice is harmless: each pass is claimed once when it is sent."""
    due = list(selectors.pass_reminders_due(today=japan_today()))
    for commuter_pass_id in due:
        pass_reminder_send.delay(commuter_pass_id)
    return len(due)


@shared_task(base=mail.EmailTask)
def pass_reminder_send(commuter_pass_id: int) -> bool:
    """Send one pass's reminder (on the ``mail`` queue: ``CELERY_TASK_ROUTES``). A failed
    send gives the claim back, so a retry (or, once retries run out, the next
    daily run) sends it."""
    return services.pass_reminder_send(commuter_pass_id=commuter_pass_id)
