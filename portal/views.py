from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal.celery import app as celery_app

logger = logging.getLogger(__name__)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.exception("healthz: database check failed")
        return False


def _broker_ok() -> bool:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
        return True
    except Exception:
        logger.exception("healthz: broker check failed")
        return False


@never_cache
@require_GET
def healthz(request):
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    healthy = all(checks.values())
    body = {"status": "ok" if healthy else "unavailable", **{k: "ok" if v else "down" for k, v in checks.items()}}
    if settings.DEBUG:
        body["env"] = settings.PORTAL_ENV
    return JsonResponse(body, status=200 if healthy else 503)


@never_cache
@require_GET
def load_baseline(request):
    """The load test's yardstick (``LOAD_BASELINE_VIEW``, off unless asked for): the same server
    and middleware as every page, one row read from the database, a few bytes of text. What
    the member pages reach is compared with what this reaches in the same run."""
    from accounts.models import Member

    row = Member.objects.order_by("pk").values_list("pk", flat=True).first()
    return HttpResponse(f"{row}\n", content_type="text/plain; charset=utf-8")
