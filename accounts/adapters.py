"""allauth adapters: members sign in with WESTER ID only (no local sign-up,
no member passwords); staff sign in with a password and TOTP."""

from __future__ import annotations

import logging
import time
from urllib.parse import urlencode

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount import app_settings as socialaccount_settings
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.internal import statekit
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider, _pick_data
from django.conf import settings
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.devices import device_label
from accounts.oidc import ID_TOKEN_SESSION_KEY, WesterIdOAuth2Adapter, WesterIdProvider
from accounts.provider_http import provider_session
from accounts.services import member_sign_in
from portal import limits

logger = logging.getLogger(__name__)


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False  # members come from WESTER ID; staff are created by operators

    def is_safe_url(self, url: str | None) -> bool:
        """Where ``next`` may send someone after signing in (the staff form, and
        through WESTER ID and back): a path on this site, never another host."""
        return is_same_site_path(url)

    def get_client_ip(self, request) -> str:
        """The real client behind the load balancer, for allauth's limits and the portal's
        (portal.limits.client_ip: the trusted proxy header or hop count)."""
        return limits.client_ip(request)

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        """The key of the staff sign-in failure limit (``login_failed``'s ``key`` rate): the
        account *and* the client address, so one client's wrong passwords lock that client
        out of that account and nobody else out of it."""
        return f"{super()._get_login_attempts_cache_key(request, **credentials)}:{limits.client_address(request)}"

    def pre_login(self, request, user, **kwargs):
        """A staff password just checked counts as a recent re-authentication,
        so the first sign-in goes straight on to set up TOTP instead of asking
        for the password a second time (「アクセス確認」)."""
        response = super().pre_login(request, user, **kwargs)
        if response is None and user.is_staff and not user.wester_id:
            password_sign_in_counts_as_recent(request)
        return response

    def get_logout_redirect_url(self, request) -> str:
        # Called before the session ends: a member signed in with WESTER ID
        # is sent on to end the provider's session too.
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.wester_id:
            end_session = provider_end_session_url(request)
            if end_session:
                return end_session
        return super().get_logout_redirect_url(request)


class WesterIdAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        return sociallogin.account.provider == settings.WESTER_ID_PROVIDER_ID

    def list_apps(self, request, provider=None, client_id=None):
        """The apps, read once per request: allauth asks for WESTER ID's app five times
        in one sign-in callback, each time a query for the same rows."""
        if request is None:
            return super().list_apps(request, provider=provider, client_id=client_id)
        read = request.__dict__.setdefault("_portal_social_apps", {})
        key = (provider, client_id)
        if key not in read:
            read[key] = super().list_apps(request, provider=provider, client_id=client_id)
        return list(read[key])

    def get_requests_session(self):
        """The session allauth sends its requests to WESTER ID with (the token, the user
        info): this thread's, with its connection kept (``accounts.provider_http``) instead
        of a new connection for every request."""
        return provider_session(timeout=socialaccount_settings.REQUESTS_TIMEOUT)

    def get_provider(self, request, provider, client_id=None):
        """WESTER ID's app gets the provider with a nonce (accounts.oidc)."""
        found = super().get_provider(request, provider, client_id)
        if type(found) is OpenIDConnectProvider and found.app.provider_id == settings.WESTER_ID_PROVIDER_ID:
            return WesterIdProvider(request, app=found.app)
        return found

    def pre_social_login(self, request, sociallogin) -> None:
        """Link the sign-in to the member with this ``sub`` (possibly created
        by the card center feed) and refresh their name and e-mail."""
        claims = _pick_data(sociallogin.account.extra_data) or {}
        # allauth found the WESTER ID account (and read its member) when it has a row: an
        # existing member, without asking the database again (``is_existing`` would).
        existing = sociallogin.account.pk is not None
        member = member_sign_in(
            wester_id=sociallogin.account.uid,
            claims=claims,
            device=device_label(request.META.get("HTTP_USER_AGENT")),
            member=sociallogin.user if existing else None,
        )
        if existing:
            sociallogin.user = member
        else:
            sociallogin.connect(request, member)
        logger.info("wester id sign-in", extra={"member": member.pk})

    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None):
        logger.warning(
            "wester id sign-in failed",
            extra={"error": str(error), "exception": type(exception).__name__ if exception else None},
        )
        if request.GET.get("error") == "access_denied":
            # The member pressed cancel at WESTER ID. Some providers drop the
            # state on that redirect; it is still a cancel, not a failure.
            # The sign-in page's ``next`` travelled in the state: 「ログイン画面へ戻る」 keeps it.
            # A provider that drops the state on the cancel leaves it stashed in this browser's
            # session: the newest one for WESTER ID is this sign-in's.
            state = (extra_context or {}).get("state")
            if not state and provider is not None:
                state = statekit.unstash_last_state(request, provider_id=provider.sub_id)
            state = state or {}
            next_path = state.get("next") if is_same_site_path(state.get("next")) else None
            raise ImmediateHttpResponse(
                render(request, "socialaccount/login_cancelled.html", {"next_path": next_path})
            )
        return super().on_authentication_error(request, provider, error, exception, extra_context)


PASSWORD_JUST_CHECKED = 30  # seconds between the password check and the sign-in


def password_sign_in_counts_as_recent(request) -> None:
    """Mark this session's last authentication, a password checked a moment
    ago, as a re-authentication (allauth asks for one before TOTP set-up;
    ``ACCOUNT_REAUTHENTICATION_TIMEOUT`` still applies from that moment)."""
    from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY

    records = request.session.get(AUTHENTICATION_METHODS_SESSION_KEY) or []
    if not records:
        return
    last = records[-1]
    if last.get("method") == "password" and time.time() - last.get("at", 0) < PASSWORD_JUST_CHECKED:
        last["reauthenticated"] = True
        request.session[AUTHENTICATION_METHODS_SESSION_KEY] = records


def is_same_site_path(url: str | None) -> bool:
    """``/points/`` or ``/documents/…/?x=1``; not ``https://…``, ``//host/…``,
    ``/\\host`` or anything with a scheme or a host."""
    return bool(
        url
        and url.startswith("/")
        and not url.startswith(("//", "/\\"))
        and url_has_allowed_host_and_scheme(url, allowed_hosts=set())
    )


def provider_end_session_url(request) -> str | None:
    """The WESTER ID end-session URL (RP-initiated logout), when the provider
    offers one, with the ID token of this session's sign-in as ``id_token_hint``;
    the member comes back to the portal's sign-in page."""
    from allauth.socialaccount.adapter import get_adapter as get_social_adapter

    try:
        app = get_social_adapter(request).get_app(request, settings.WESTER_ID_PROVIDER_ID)
        endpoint = WesterIdOAuth2Adapter(request, settings.WESTER_ID_PROVIDER_ID).openid_config.get(
            "end_session_endpoint"
        )
    except Exception:  # the provider is unreachable: the portal session still ends
        logger.warning("wester id end-session endpoint unavailable")
        return None
    if not endpoint:
        return None
    params = {"client_id": app.client_id, "post_logout_redirect_uri": request.build_absolute_uri("/")}
    id_token = request.session.get(ID_TOKEN_SESSION_KEY)
    if id_token:  # the provider knows whose session ends, and need not ask the member to confirm
        params["id_token_hint"] = id_token
    query = urlencode(params)
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


def user_display(user) -> str:
    """How allauth names a person in its messages: their name, never the
    internal user name."""
    return user.display_name
