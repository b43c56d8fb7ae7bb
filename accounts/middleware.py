"""WESTER ID out of reach (network error, timeout, a broken discovery
document) is a clear page for the member, not a stack trace; allauth's local-account
pages closed to members; ``request.user`` read without compiling the member's query."""

from __future__ import annotations

import logging
from functools import partial

import requests
from django.contrib.auth.middleware import AuthenticationMiddleware, auser
from django.http import Http404
from django.shortcuts import render
from django.utils.functional import SimpleLazyObject

from accounts import authentication

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


# allauth's local-account pages (by URL name). WESTER ID is a member's only way in,
# so none of these exist for a member or an anonymous visitor: they answer 404 and do
# nothing. Staff sign in with a user name, a password and TOTP; an operator resets a
# staff password (``create_staff NAME --reset-password`` or the admin), never an e-mail link.
CLOSED_TO_EVERYONE = frozenset(
    {
        "account_signup",
        "account_reset_password",
        "account_reset_password_done",
        "account_reset_password_from_key",
        "account_reset_password_from_key_done",
        "account_request_login_code",
        "account_confirm_login_code",
        "account_email_verification_sent",
        "account_confirm_email",
        "socialaccount_signup",
    }
)
STAFF_ONLY = frozenset(
    {
        "account_change_password",
        "account_set_password",
        "account_email",
        "account_reauthenticate",
        "socialaccount_connections",
        "mfa_index",
        "mfa_reauthenticate",
        "mfa_activate_totp",
        "mfa_deactivate_totp",
        "mfa_view_recovery_codes",
        "mfa_generate_recovery_codes",
        "mfa_download_recovery_codes",
    }
)


def is_staff_account(user) -> bool:
    """A support-center account: the only kind that signs in with a password."""
    return bool(user.is_authenticated and user.is_staff and not user.wester_id)


STAFF_ENTRANCE = frozenset({"account_login", "mfa_authenticate", "mfa_trust"})


def is_staff_page(request) -> bool:
    """A page of the staff's own: any page a staff account sees, and the staff
    sign-in with its TOTP step (a visitor there is signing in as staff)."""
    user = getattr(request, "user", None)
    if user is not None and is_staff_account(user):
        return True
    match = getattr(request, "resolver_match", None)
    return bool(match and (match.url_name in STAFF_ENTRANCE or match.url_name in STAFF_ONLY))


class LocalAccountPagesMiddleware:
    """404 for allauth's password, e-mail and sign-up pages unless a staff
    account asks; the staff sign-in form is there for visitors, not for a
    signed-in member."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        name = request.resolver_match.url_name if request.resolver_match else None
        if name in CLOSED_TO_EVERYONE:
            raise Http404
        if name in STAFF_ONLY and not is_staff_account(request.user):
            raise Http404
        if name == "account_login" and request.user.is_authenticated and not is_staff_account(request.user):
            raise Http404
        return None


def _signed_in_user(request):
    if not hasattr(request, "_cached_user"):  # the attribute Django's middleware caches it in
        request._cached_user = authentication.get_user(request)
    return request._cached_user


class MemberAuthenticationMiddleware(AuthenticationMiddleware):
    """Django's ``AuthenticationMiddleware`` with ``request.user`` read by
    :func:`accounts.authentication.get_user` (the member row without compiling its query);
    ``request.auser`` is Django's."""

    def process_request(self, request):
        if not hasattr(request, "session"):
            super().process_request(request)  # Django's ImproperlyConfigured
        request.user = SimpleLazyObject(lambda: _signed_in_user(request))
        request.auser = partial(auser, request)
