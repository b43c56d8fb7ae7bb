"""The portal's own beat tasks."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.management import call_command

logger = logging.getLogger(__name__)


@shared_task(time_limit=600, soft_time_limit=540)
def sessions_clear() -> None:
    """Expired sessions out of the database, daily: Django's ``clearsessions``. Every visit
    to the sign-in start stores a session (the sign-in's state), so without this the
    table only grows."""
    call_command("clearsessions")
    logger.info("expired sessions cleared")
