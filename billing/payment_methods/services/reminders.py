"""The e-mail before a payment card expires: beat queues a reminder row per
card expiring within 30 days, the mail task sends each one once."""

from __future__ import annotations

import logging
from datetime import date

from django.db import transaction

from accounts.links import portal_url
from billing.payment_methods import selectors
from billing.payment_methods.models import ExpiryReminder
from portal import mail, queue

logger = logging.getLogger(__name__)


@transaction.atomic
def expiry_reminders_queue(*, today: date) -> list[int]:
    """Create the reminder row for each payment method expiring within 30
    days and enqueue its e-mail after commit. A row already there and not
    sent (a broker that was down) is enqueued again: sending is idempotent."""
    reminder_ids = []
    for method in selectors.payment_methods_due_for_expiry_reminder(today=today):
        reminder, _ = ExpiryReminder.objects.get_or_create(payment_method=method, expires_on=method.expires_on)
        if reminder.sent_at is None:
            reminder_ids.append(reminder.pk)
    for reminder_id in reminder_ids:
        queue.task_send_on_commit("billing.payment_methods.tasks.payment_card_expiry_reminder_send", reminder_id)
    return reminder_ids


def expiry_reminder_send(*, reminder_id: int) -> bool:
    """Send one expiry reminder once (``portal.mail``: the reminder is claimed
    by setting ``sent_at``): True when it was sent now, False when it had been
    sent before or is no longer needed (the card removed, the member without
    an address or deactivated)."""
    due = ExpiryReminder.objects.filter(
        pk=reminder_id, payment_method__removed_at__isnull=True, payment_method__member__is_active=True
    ).exclude(payment_method__member__email="")

    def send() -> None:
        reminder = ExpiryReminder.objects.select_related("payment_method__member").get(pk=reminder_id)
        member = reminder.payment_method.member
        mail.member_email_send(
            member=member,
            template="payment_card_expiry_reminder",
            context={
                "card": reminder.payment_method.label,
                "expires_on": reminder.expires_on,
                "payment_methods_url": portal_url("payment_methods:payment-method-list"),
            },
        )
        logger.info("payment card expiry reminder sent", extra={"member": member.pk, "reminder": reminder_id})

    return mail.send_once(due, "sent_at", send)
