"""WESTER ID's OpenID Connect sign-in, on top of allauth's generic provider:
a ``nonce`` sent with every sign-in and checked in the ID token, and the ID
token kept in the session for the sign-out (``id_token_hint``).

allauth 65's ``openid_connect`` provider sends no nonce and keeps no ID token.
The nonce is a hash of the sign-in's PKCE code verifier, which only this
browser's session holds (allauth stashes it with the ``state``): OpenID Connect
Core 1.0 §15.5.2 suggests exactly this, a hash of a secret the client keeps
for the session. An ID token is accepted only if its ``nonce`` matches the
sign-in that this session started, so a token obtained elsewhere (another
browser's sign-in, a replayed or injected code) does not sign anyone in here.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from allauth.account.internal.decorators import login_not_required
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView
from allauth.socialaccount.providers.openid_connect import views as openid_connect_views
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse

from portal import limits

logger = logging.getLogger(__name__)

# The raw ID token of the sign-in that started this session, for id_token_hint at sign-out.
ID_TOKEN_SESSION_KEY = "wester_id_id_token"  # noqa: S105 (a session key's name, not a secret)


def id_token_nonce(code_verifier: str) -> str:
    """The nonce of the sign-in whose PKCE code verifier is ``code_verifier``:
    not the verifier itself (the nonce travels in the browser's address bar),
    and not the PKCE challenge (a different hash, so neither reveals the other).

    >>> id_token_nonce("abc") == id_token_nonce("abc") != id_token_nonce("abd")
    True
    """
    return hashlib.sha256(b"wester-id nonce\x00" + code_verifier.encode()).hexdigest()


DISCOVERY_SECONDS = 10 * 60


def discovery_cache_key(server_url: str) -> str:
    return "wester-id:discovery:" + hashlib.sha256(server_url.encode()).hexdigest()


class WesterIdOAuth2Adapter(OpenIDConnectOAuth2Adapter):
    """The callback side: the ID token is required, its nonce must be this
    session's, and the raw token is kept for the sign-out."""

    def __init__(self, request: HttpRequest, provider_id: str) -> None:
        super().__init__(request, provider_id)
        self.expected_nonce: str | None = None
        self.id_token: str | None = None
        self.id_token_sub: str | None = None

    @property
    def openid_config(self) -> dict:
        """The provider's discovery document, kept in the cache for ``DISCOVERY_SECONDS``
        (for the callback and the sign-out): allauth fetches it again every time, a round trip
        to WESTER ID before the real work. A provider that moves its endpoints is followed
        within that time."""
        if not hasattr(self, "_openid_config"):
            key = discovery_cache_key(self.get_provider().server_url)
            config = cache.get(key)
            if not isinstance(config, dict):
                config = super().openid_config  # fetched, with the app's overrides
                cache.set(key, config, DISCOVERY_SECONDS)
            self._openid_config = config
        return self._openid_config

    def get_access_token_data(self, request, app, client, pkce_code_verifier=None):
        self.expected_nonce = id_token_nonce(pkce_code_verifier) if pkce_code_verifier else None
        return super().get_access_token_data(request, app, client, pkce_code_verifier=pkce_code_verifier)

    def complete_login(self, request, app, token, **kwargs):
        raw = (kwargs.get("response") or {}).get("id_token")
        if not raw:
            raise OAuth2Error("WESTER ID sent no ID token")
        login = super().complete_login(request, app, token, **kwargs)
        claims = login.account.extra_data.get("id_token") or {}
        nonce = claims.get("nonce")
        if not (
            self.expected_nonce
            and isinstance(nonce, str)
            and hmac.compare_digest(nonce.encode(), self.expected_nonce.encode())
        ):
            logger.warning("wester id token refused: nonce", extra={"nonce_present": bool(nonce)})
            raise OAuth2Error("the ID token's nonce is not this sign-in's")
        self.id_token, self.id_token_sub = raw, str(claims.get("sub", ""))
        return login


class WesterIdProvider(OpenIDConnectProvider):
    """allauth's OpenID Connect provider with a nonce in the sign-in request."""

    oauth2_adapter_class = WesterIdOAuth2Adapter

    def get_pkce_params(self) -> dict:
        params = super().get_pkce_params()
        verifier = params.get("code_verifier")
        if not verifier:
            # The nonce rests on the PKCE verifier: WESTER ID is configured with PKCE on.
            raise OAuth2Error("WESTER ID sign-in needs PKCE (oauth_pkce_enabled)")
        return {**params, "nonce": id_token_nonce(verifier)}  # sent with the challenge; the verifier is popped


@login_not_required
@limits.limited(limits.SIGN_IN_START, limits.client_address)
def login(request: HttpRequest, provider_id: str) -> HttpResponse:
    """``/accounts/oidc/<provider_id>/login/``: allauth's sign-in start (the form post that
    stores the sign-in's state in a new session and sends the visitor to WESTER ID), limited
    per client address (settings.PORTAL_LIMITS["sign_in_start"]): over it, a 429 page."""
    return openid_connect_views.login(request, provider_id)


@login_not_required
def callback(request: HttpRequest, provider_id: str) -> HttpResponse:
    """``/accounts/oidc/<provider_id>/login/callback/``: allauth's callback with
    WESTER ID's adapter. Once the member is signed in, the new session keeps the
    ID token (a session that was flushed on the way keeps it too)."""
    try:
        provider = get_adapter(request).get_provider(request, provider_id)
    except SocialApp.DoesNotExist:
        raise Http404 from None
    adapter = provider.get_oauth2_adapter(request)
    response = OAuth2CallbackView.adapter_view(adapter)(request)
    user = request.user
    token = getattr(adapter, "id_token", None)
    if token and user.is_authenticated and user.wester_id and user.wester_id == adapter.id_token_sub:
        request.session[ID_TOKEN_SESSION_KEY] = token
    return response
