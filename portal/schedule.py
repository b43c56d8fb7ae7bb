"""What runs when, and on which queue: the Celery beat schedule (in Japan time,
``CELERY_TIMEZONE``) and the task routes, in one place. Read by portal/settings.py;
no call site names a queue (tests/test_task_routes.py)."""

from __future__ import annotations

from celery.schedules import crontab

CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "usage-partitions-upkeep": {
        "task": "cards.tasks.usage_partitions_upkeep",
        "schedule": crontab(hour=3, minute=10),
    },
    "pass-expiry-reminders": {
        "task": "cards.tasks.pass_reminders_send",
        "schedule": crontab(hour=9, minute=0),  # Japan time (CELERY_TIMEZONE)
    },
    "payment-card-expiry-reminders": {
        "task": "billing.payment_methods.tasks.payment_card_expiry_reminders_queue",
        "schedule": crontab(hour=9, minute=0),
    },
    "sessions-clear": {  # expired sessions out of the database (django's clearsessions)
        "task": "portal.tasks.sessions_clear",
        "schedule": crontab(hour=4, minute=20),
    },
    "payment-registrations-expire": {
        "task": "billing.payment_methods.tasks.payment_registrations_expire",
        "schedule": crontab(minute="*/10"),
    },
    "documents-monthly-statements": {
        "task": "billing.documents.tasks.monthly_statements_queue",
        "schedule": crontab(day_of_month=1, hour=6, minute=0),  # Japan time: last month's receipt
    },
    "documents-requeue-stuck": {
        "task": "billing.documents.tasks.documents_requeue_stuck",
        "schedule": crontab(minute="*/5"),  # requests made while the broker was down
    },
}

#: The ``documents`` queue renders PDFs, the ``mail`` queue sends e-mail (every
#: ``portal.mail.EmailTask``); everything else runs on ``default``.
CELERY_TASK_ROUTES = {
    "billing.documents.tasks.document_render": {"queue": "documents"},
    "billing.documents.tasks.monthly_statement_create": {"queue": "documents"},
    "billing.documents.tasks.document_email": {"queue": "mail"},
    "billing.payment_methods.tasks.payment_card_expiry_reminder_send": {"queue": "mail"},
    "accounts.tasks.security_notice_send": {"queue": "mail"},
    "cards.tasks.pass_reminder_send": {"queue": "mail"},
}
