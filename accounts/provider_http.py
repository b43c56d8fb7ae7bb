"""The HTTP session the portal talks to WESTER ID with: one per worker thread, its
connection kept between requests.

allauth opens a new ``requests.Session`` (a new TCP connection, and a new TLS handshake
against the real WESTER ID) for every request it sends, and closes it after: the callback's
token request and its user info request each pay for their own connection. Here they share
one (the user info request follows the token's on the same connection), as does the next
sign-in that comes soon enough.

Only what is safe to share is kept: the connection. No cookie is ever stored (one member's
sign-in must not carry another's cookies to the provider), and headers, credentials and
tokens are each request's own (allauth passes them per request). A connection idle for more
than ``KEEP_IDLE_SECONDS`` is not reused: servers close idle ones (the local provider after
5 s), and a request sent on a connection the server is closing fails without an answer.
"""

from __future__ import annotations

import os
import threading
import time
from http.cookiejar import DefaultCookiePolicy

import requests

# Below the keep-alive time of common servers (uvicorn and Apache 5 s, nginx 75 s, AWS load
# balancers 60 s): an older connection is closed and a new one opened.
KEEP_IDLE_SECONDS = 2.0


class NoCookies(DefaultCookiePolicy):
    """Refuses every cookie: the session is shared by every member's sign-in."""

    def set_ok(self, cookie, request) -> bool:
        return False

    def return_ok(self, cookie, request) -> bool:
        return False


class KeptSession(requests.Session):
    """A session whose connection outlives allauth's ``with ... as sess`` blocks."""

    def __init__(self, *, timeout: float | None) -> None:
        super().__init__()
        self.timeout = timeout
        self.cookies.set_policy(NoCookies())
        self.pid = os.getpid()
        self.last_used = float("-inf")

    def request(self, method, url, **kwargs):
        kwargs.setdefault("timeout", self.timeout)
        if time.monotonic() - self.last_used > KEEP_IDLE_SECONDS:
            self.close()  # drops the idle connections; the session opens new ones
        try:
            return super().request(method, url, **kwargs)
        finally:
            self.last_used = time.monotonic()

    def __exit__(self, *exc_info) -> None:
        """Kept open for the next request (``requests.Session`` closes itself here)."""


_local = threading.local()


def provider_session(*, timeout: float | None) -> KeptSession:
    """This thread's session (a new one in a forked worker: connections are not shared
    across processes)."""
    session = getattr(_local, "session", None)
    if session is None or session.pid != os.getpid() or session.timeout != timeout:
        session = _local.session = KeptSession(timeout=timeout)
    return session
