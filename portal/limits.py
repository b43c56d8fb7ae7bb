"""Limits on what one member, or one client address, can make the portal do.

A limit that is reached raises :class:`LimitReached`; :class:`LimitMiddleware` turns it into
an HTTP 429 page that says, in the member's language, what the limit is and when they can
ask again (with a ``Retry-After`` header). A view or service raises it before doing the
work, so nothing is queued and nothing is stored.

Two kinds of counting (docs/decisions.md, "Limits on what one member can make the portal do"):

- :func:`hit`: a fixed window counted in the cache (Redis in production), for cheap,
  repeatable actions: the history CSV per member, the sign-in start per client address.
  ``cache.add`` then ``cache.incr`` are atomic in Redis, so parallel requests cannot slip
  past the count. The window is aligned to the clock (an hour limit runs 10:00-11:00), so
  "when can I ask again" is the end of the window. While Redis is out the cache answers
  misses (portal/cache.py): these limits are then off, as allauth's are, rather than
  refusing every member.
- The document rule (portal/document_limits.py) counts the member's own document rows in
  the database: it is exact, holds while Redis is out, and costs nothing for a document
  that already exists.

Client addresses come from :func:`client_address`: allauth's own client address (the
account adapter's ``get_client_ip``, configured by ``ALLAUTH_TRUSTED_PROXY_COUNT`` /
``ALLAUTH_TRUSTED_CLIENT_IP_HEADER``, README's production settings), so the portal's limits
and allauth's sign-in limits see the same client behind the load balancer.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from datetime import UTC, datetime
from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


class LimitReached(Exception):
    """Over a limit: ``message`` for the member, ``retry_at`` (aware) when known."""

    def __init__(self, message: str, *, retry_at: datetime | None = None, retry_after: int | None = None):
        super().__init__(message)
        self.message = message
        self.retry_at = retry_at
        if retry_after is None and retry_at is not None:
            retry_after = math.ceil((retry_at - timezone.now()).total_seconds())
        self.retry_after = max(1, retry_after or 60)


def format_time(at: datetime) -> str:
    """When a member can ask again, in Japan time and the page's language."""
    return formats.date_format(timezone.localtime(at), "DATETIME_FORMAT")


def reached(message: str, retry_at: datetime, **values) -> LimitReached:
    return LimitReached(str(message) % {"time": format_time(retry_at), **values}, retry_at=retry_at)


# --- The cache-counted limits --------------------------------------------------------------

HISTORY_CSV = "history_csv"
SIGN_IN_START = "sign_in_start"

MESSAGES = {
    HISTORY_CSV: _("利用履歴のCSVのダウンロードは1時間に%(amount)s回までです。%(time)s以降にもう一度お試しください。"),
    SIGN_IN_START: _("このネットワークからのログインの操作が続いたため、しばらく受け付けを止めています。"
                     "%(time)s以降にもう一度お試しください。"),
}


def _count(key: str, timeout: int) -> int | None:
    """The key's new count, or ``None`` while the cache cannot count (Redis out)."""
    try:
        cache.add(key, 0, timeout)
        return cache.incr(key)
    except ValueError:  # no such key: the cache answered a miss (portal/cache.py)
        return None


def hit(name: str, subject: object, *, now: float | None = None) -> None:
    """Count one use of limit ``name`` (settings.PORTAL_LIMITS) by ``subject`` (a member's id,
    a client address); raise :class:`LimitReached` when it is over the limit. Every attempt
    counts, refused ones too, so hammering does not find a gap."""
    amount, seconds = settings.PORTAL_LIMITS[name]
    now = time.time() if now is None else now
    window = int(now // seconds)
    count = _count(f"limit:{name}:{subject}:{window}", seconds + 60)
    if count is None:
        logger.warning("limit not counted: the cache is unreachable", extra={"limit": name})
        return
    if count > amount:
        retry_at = datetime.fromtimestamp((window + 1) * seconds, tz=UTC)
        logger.info("limit reached", extra={"limit": name, "count": count})
        raise reached(MESSAGES[name], retry_at, amount=amount)


def limited(name: str, subject, *, methods: tuple[str, ...] = ("GET", "POST")):
    """A view decorator: :func:`hit` with ``subject(request)`` for requests of ``methods``."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method in methods:
                hit(name, subject(request))
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def member(request) -> int:
    return request.user.pk


def client_ip(request) -> str:
    """The client's address behind the portal's own proxies, read as allauth's settings say:
    ``ALLAUTH_TRUSTED_CLIENT_IP_HEADER`` (a header the load balancer sets, e.g. ``X-Real-IP``),
    or else the ``ALLAUTH_TRUSTED_PROXY_COUNT``-th ``X-Forwarded-For`` hop from the right
    (the one the outermost trusted proxy appended; hops further left are the client's own
    writing), or else the connection's address. allauth raises a server error when a request
    came through fewer proxies than counted (a health check, a proxy reached directly); here the
    leftmost hop is used then, which a trusted proxy wrote. A value that is not an address is
    never used."""
    from allauth import app_settings as allauth_settings

    candidate = None
    header = allauth_settings.TRUSTED_CLIENT_IP_HEADER
    count = allauth_settings.TRUSTED_PROXY_COUNT
    if header:
        candidate = request.headers.get(header)
    elif count > 0:
        hops = [hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",") if hop.strip()]
        if hops:
            candidate = hops[-count] if len(hops) >= count else hops[0]
    for value in (candidate, request.META.get("REMOTE_ADDR")):
        try:
            return str(ipaddress.ip_address((value or "").strip()))
        except ValueError:
            continue
    return "0.0.0.0"  # noqa: S104 (not a bind: no address at all, one shared bucket)


def client_address(request) -> str:
    """The client's address as allauth sees it (trusted proxy hops or header, see
    accounts.adapters.AccountAdapter.get_client_ip); an IPv6 address by its network
    (allauth's ``ALLAUTH_RATE_LIMIT_IPV6_PREFIX``, /64), which one client holds whole."""
    from allauth import app_settings as allauth_settings
    from allauth.account.adapter import get_adapter

    address = get_adapter(request).get_client_ip(request)
    parsed = ipaddress.ip_address(address)
    if parsed.version == 6:
        prefix = allauth_settings.RATE_LIMIT_IPV6_PREFIX
        return str(ipaddress.ip_network(f"{parsed}/{prefix}", strict=False).network_address)
    return str(parsed)


# --- The answer ------------------------------------------------------------------------------


def too_many_requests(request, error: LimitReached | None = None):
    """The 429 page: the limit's message, or a general one (allauth's limits use it too)."""
    referer = request.headers.get("Referer", "")
    back_url = ""
    if referer and url_has_allowed_host_and_scheme(referer, {request.get_host()}, request.is_secure()):
        back_url = urlsplit(referer)._replace(scheme="", netloc="").geturl()
    context = {"limit_message": error.message if error else "", "back_url": back_url}
    response = render(request, "429.html", context, status=429)
    response["Retry-After"] = str(error.retry_after if error else 60)
    return response


class LimitMiddleware:
    """A :class:`LimitReached` raised by a view or a service becomes the 429 page; a service
    raises it inside its transaction, so whatever it had begun is rolled back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, LimitReached):
            return too_many_requests(request, exception)
        return None
