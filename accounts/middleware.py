"""WESTER ID out of reach (network error, timeout, a broken discovery
document) is a clear page for the member, not a stack trace."""

from __future__ import annotations

import logging

import requests
from django.shortcuts import render

logger = logging.getLogger(__name__)


class ProviderUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not request.path.startswith("/accounts/oidc/"):
            return None
        if not isinstance(exception, (requests.RequestException, ValueError, KeyError)):
            return None
        logger.warning("wester id unreachable", extra={"error": type(exception).__name__})
        return render(request, "socialaccount/authentication_error.html", status=502)
