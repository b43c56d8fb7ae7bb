"""The billing app's Celery tasks (found by autodiscovery), defined by its two capabilities."""

from billing.documents.tasks import (  # noqa: F401
    document_email,
    document_render,
    documents_requeue_stuck,
    monthly_statement_create,
    monthly_statements_queue,
)
from billing.payment_methods.tasks import (  # noqa: F401
    payment_card_expiry_reminder_send,
    payment_card_expiry_reminders_queue,
    payment_registrations_expire,
)
