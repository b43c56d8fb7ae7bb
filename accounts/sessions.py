"""Session lifetime: 30 minutes idle (the cookie age, renewed when the session is saved,
at most once a minute) and 12 hours absolute from sign-in (checked here)."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, resolve_url
from django.utils import translation
from django.utils.translation import gettext as _

SIGNED_IN_AT = "portal_signed_in_at"
TOUCHED_AT = "portal_touched_at"


def session_mark_signed_in(request, member) -> None:
    """The sign-in time, and the member's saved language (``/settings/``), which the pages of
    this session use until the language switch sets one for the browser
    (``portal.locale``): a member who chose English gets English on a new phone too."""
    request.session[SIGNED_IN_AT] = int(time.time())
    language = getattr(member, "language", "")
    if language:
        request.session[settings.MEMBER_LANGUAGE_SESSION_KEY] = language
        if request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) not in dict(settings.LANGUAGES):
            translation.activate(language)  # the rest of this request too ("signed in as ...")


def session_touch(session) -> None:
    """Slide the idle timeout: a session not saved for ``SESSION_TOUCH_SECONDS`` is marked
    changed, so it is saved with a new expiry and its cookie renewed. Saving on every request
    instead would write the session table once for every page a member opens; this keeps the
    30 minutes idle to within a minute for one write a minute (docs/decisions.md)."""
    if session.is_empty():
        return  # a visitor without a session: nothing to keep
    now = int(time.time())
    if session.modified or now - session.get(TOUCHED_AT, 0) >= settings.SESSION_TOUCH_SECONDS:
        session[TOUCHED_AT] = now


class SessionLifetimeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            started = request.session.get(SIGNED_IN_AT)
            if started is None or time.time() - started > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
                messages.info(request, _("安全のため、ログインから12時間たったのでログアウトしました。もう一度ログインしてください。"))
                if request.method in ("GET", "HEAD") and request.path != resolve_url("home"):
                    return redirect_to_login(request.get_full_path())  # back to this page after signing in
                return redirect("home")
        response = self.get_response(request)
        session_touch(request.session)
        return response


def user_session_record(request, user) -> None:
    """What allauth.usersessions records at every sign-in (its ``on_user_logged_in``, which
    this replaces: accounts/apps.py), the same rows in fewer statements: the person's ended
    sessions are purged as allauth purges them (read as a list, not through a server-side
    cursor), and the row of the new session is inserted directly. The sign-in has just given
    the session a new key (Django's ``login`` cycles or flushes it), so allauth's get-or-create
    in a transaction, and its "client changed" signal for a row that existed, always found
    nothing."""
    from allauth.account.adapter import get_adapter
    from allauth.usersessions.models import UserSession

    for session in list(UserSession.objects.filter(user_id=user.pk)):
        session.purge()
    if not request.session.session_key:  # a flushed session gets its key when saved
        request.session.save()
    UserSession.objects.create(
        user=user,
        session_key=request.session.session_key,
        ip=get_adapter().get_client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[: UserSession._meta.get_field("user_agent").max_length],
    )
