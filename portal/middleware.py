"""One log line per request, with a request id that follows the request into
the tasks it enqueues."""

from __future__ import annotations

import functools
import logging
import re
import time
import uuid

from django.db import connection
from django.http import HttpResponse
from django.utils.cache import patch_cache_control

from portal.logging import request_id_var

logger = logging.getLogger("portal.request")
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        queries_before = len(connection.queries) if connection.queries_logged else None
        try:
            response = self.get_response(request)
        except Exception:
            logger.exception(
                "request failed",
                extra={"method": request.method, "path": request.path},
            )
            request_id_var.reset(token)
            raise
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        response["X-Request-ID"] = request_id
        user = getattr(request, "user", None)
        extra = {
            "method": request.method,
            # The path only: query strings can carry codes and states.
            "path": request.path,
            "status": response.status_code,
            "duration_ms": duration_ms,
            "member": user.pk if user is not None and user.is_authenticated else None,
        }
        if queries_before is not None:
            extra["queries"] = len(connection.queries) - queries_before
        logger.info("request", extra=extra)
        request_id_var.reset(token)
        return response


class MemberCacheControlMiddleware:
    """``Cache-Control: private, no-store`` on every response to a signed-in
    user: whatever a page shows of a member (cards, balances, history, names) is
    kept by no shared cache and by no browser cache or back-button copy once the
    tab is closed. One rule for every page, so a new page cannot forget it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response["Cache-Control"] = private_no_store(response.get("Cache-Control"))
        return response


@functools.lru_cache(maxsize=64)
def private_no_store(cache_control: str | None) -> str:
    """The header ``patch_cache_control(response, private=True, no_store=True)`` makes of
    ``cache_control`` (a function of it alone), worked out once per value and process: a
    page has one of a few (none, ``never_cache``'s), and patching it again was about 7 us
    of every signed-in page."""
    response = HttpResponse()
    if cache_control is not None:
        response["Cache-Control"] = cache_control
    patch_cache_control(response, private=True, no_store=True)
    return response["Cache-Control"]
