"""The local WESTER ID stand-in (accounts/identity_provider.py): oidc-provider-mock with its
signing key imported once per process, its ID tokens still signed with the key it publishes."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlsplit

import joserfc.jwk
import jwt
import oidc_provider_mock
import pytest
import requests
from oidc_provider_mock import _app
from oidc_provider_mock._storage import User

from accounts import identity_provider
from accounts.management.commands.run_identity_provider import PROVIDER_SCRIPT, identity_provider_command
from accounts.oidc import ID_TOKEN_SESSION_KEY
from accounts.tests.oidc import sign_in

CLIENT_ID = "icoca-portal-local"
REDIRECT_URI = "http://testserver/accounts/oidc/wester-id/login/callback/"


@pytest.fixture
def provider(monkeypatch):
    """The provider app in this process (Flask's test client), as the script builds it."""
    monkeypatch.setattr(_app, "OpenIDCode", identity_provider.OpenIDCode)
    identity_provider.signing_key.cache_clear()
    app = oidc_provider_mock.app(require_nonce=True, user_claims=[User(sub="demo-hanako", claims={"name": "山田 花子"})])
    return app.test_client()


def token_response(client, nonce: str) -> dict:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    authorize = client.post(
        "/oauth2/authorize",
        query_string={
            "client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI, "response_type": "code",
            "scope": "openid profile email", "state": "s", "nonce": nonce,
            "code_challenge": challenge, "code_challenge_method": "S256",
        },
        data={"sub": "demo-hanako"},
    )
    code = parse_qs(urlsplit(authorize.headers["Location"]).query)["code"][0]
    response = client.post(
        "/oauth2/token",
        data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
            "client_id": CLIENT_ID, "client_secret": "local-secret", "code_verifier": verifier,
        },
    )
    assert response.status_code == 200, response.text
    return response.json


def verified_claims(id_token: str, jwks: dict, issuer: str) -> dict:
    (published,) = jwks["keys"]
    return jwt.decode(
        id_token, key=jwt.PyJWK(published).key, algorithms=["RS256"], audience=CLIENT_ID, issuer=issuer
    )


def test_the_signing_key_is_imported_once_for_every_token(provider, monkeypatch):
    imports = []
    import_key = joserfc.jwk.import_key
    monkeypatch.setattr(joserfc.jwk, "import_key", lambda *a, **k: imports.append(1) or import_key(*a, **k))
    monkeypatch.setattr("authlib._joserfc_helpers.import_key", joserfc.jwk.import_key)  # the mock's own way

    tokens = [token_response(provider, nonce=f"nonce-{n}")["id_token"] for n in range(3)]

    assert len(imports) == 1
    assert identity_provider.signing_key.cache_info().hits == 2
    jwks = provider.get("/jwks").json
    for n, token in enumerate(tokens):  # each one signed with the key the provider publishes
        claims = verified_claims(token, jwks, issuer="http://localhost")
        assert (claims["sub"], claims["nonce"], claims["name"]) == ("demo-hanako", f"nonce-{n}", "山田 花子")


def test_a_token_signed_with_another_key_does_not_verify(provider):
    """The check above means something: the provider's own key, not any key."""
    token = token_response(provider, nonce="n")["id_token"]
    other = joserfc.jwk.RSAKey.generate_key(2048).as_dict(private=False)

    with pytest.raises(jwt.InvalidSignatureError):
        verified_claims(token, {"keys": [other]}, issuer="http://localhost")


def test_the_command_runs_the_script_with_nothing_of_the_portal_on_its_path():
    command = identity_provider_command(9400)
    assert command[1:4] == ["-P", str(PROVIDER_SCRIPT), "--host"]
    assert PROVIDER_SCRIPT.is_file()


@pytest.mark.django_db
def test_the_running_provider_signs_each_sign_ins_token_with_the_key_it_publishes(client, wester_id):
    jwks = requests.get(f"{wester_id}/jwks", timeout=5).json()
    for sub in ("demo-hanako", "demo-taro"):
        sign_in(client, sub)
        claims = verified_claims(client.session[ID_TOKEN_SESSION_KEY], jwks, issuer=wester_id)
        assert claims["sub"] == sub
