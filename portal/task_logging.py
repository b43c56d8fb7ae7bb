"""One log line per Celery task, carrying the request id of the web request
that enqueued it."""

from __future__ import annotations

import logging
import time

from celery import signals

from portal.logging import request_id_var

logger = logging.getLogger("portal.task")
_started: dict[str, float] = {}


@signals.before_task_publish.connect
def _add_request_id(headers=None, **kwargs):
    request_id = request_id_var.get()
    if headers is not None and request_id:
        headers.setdefault("request_id", request_id)


@signals.task_prerun.connect
def _task_started(task_id=None, task=None, **kwargs):
    request_id = getattr(task.request, "request_id", None) if task else None
    request_id_var.set(request_id or task_id)
    _started[task_id] = time.perf_counter()


@signals.task_postrun.connect
def _task_finished(task_id=None, task=None, state=None, **kwargs):
    started = _started.pop(task_id, None)
    logger.info(
        "task",
        extra={
            "task": task.name if task else None,
            "task_id": task_id,
            "state": state,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
        },
    )
    request_id_var.set(None)
