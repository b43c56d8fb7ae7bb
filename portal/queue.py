"""Sending Celery tasks from services: by the task's name, after the commit.

A service never imports a tasks module (the tasks import the services inside
their bodies), so there is no import cycle between the two: it names the task,
as beat does, and the task's queue comes from ``CELERY_TASK_ROUTES``
(portal/schedule.py), never from the call site::

    queue.task_send_on_commit("billing.documents.tasks.document_render", document.pk)

:func:`task_send` sends now and answers ``False`` (logged) when the broker
cannot be reached, for a caller that records what was queued and lets beat
send again what was not.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable

from celery import Task
from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


def task_named(name: str) -> Task:
    """The task registered under ``name`` (``package.module.function``)."""
    module, _, attribute = name.rpartition(".")
    return getattr(importlib.import_module(module), attribute)


def task_send(name: str, *args: object) -> bool:
    """Send the task now; ``False`` when the broker cannot be reached."""
    try:
        task_named(name).apply_async(args)
    except (OperationalError, OSError) as error:
        logger.warning("task not queued: %s", type(error).__name__, extra={"task": name})
        return False
    return True


def task_send_on_commit(name: str, *args: object, then: Callable[[bool], object] | None = None) -> None:
    """Send the task once the current transaction commits (at once outside
    one); ``then(sent)`` runs afterwards, e.g. to record when it was queued."""

    def send() -> None:
        sent = task_send(name, *args)
        if then is not None:
            then(sent)

    transaction.on_commit(send)
