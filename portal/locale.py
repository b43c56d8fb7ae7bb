"""Japanese unless the member chose English: with the language switch (a cookie, for this
browser) or, signed in, in their settings (put in the session at sign-in). The browser's
Accept-Language is not consulted (members expect the Japanese site on an English-set phone
too, and pages stay cacheable per language)."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation


class LanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.languages = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in self.languages and hasattr(request, "session"):
            language = request.session.get(settings.MEMBER_LANGUAGE_SESSION_KEY)
        if language not in self.languages:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
