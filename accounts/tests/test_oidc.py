"""OpenID Connect with the real local provider: a nonce in every sign-in,
checked in the ID token; the ID token kept for id_token_hint at sign-out."""

from __future__ import annotations

import re
import subprocess
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
import requests
from allauth.socialaccount.models import SocialAccount

from accounts.management.commands.run_identity_provider import identity_provider_command
from accounts.models import Member
from accounts.oidc import ID_TOKEN_SESSION_KEY
from accounts.tests.oidc import follow_callback, provider_answer, sign_in, start_sign_in
from conftest import free_port, wait_for_url

pytestmark = pytest.mark.django_db


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlparse(url).query).items()}


def with_nonce(authorize_url: str, nonce: str | None) -> str:
    """The same sign-in request with another nonce (or none), as an attacker
    who obtains a token for a request of their own would have it."""
    stripped = re.sub(r"&nonce=[^&]*", "", authorize_url)
    return stripped if nonce is None else f"{stripped}&nonce={nonce}"


def claims_of(id_token: str) -> dict:
    return jwt.decode(id_token, options={"verify_signature": False})


def test_every_sign_in_sends_its_own_nonce(client, wester_id):
    first, second = query_of(start_sign_in(client)), query_of(start_sign_in(client))

    assert re.fullmatch(r"[0-9a-f]{64}", first["nonce"])
    assert first["nonce"] != second["nonce"]
    assert first["nonce"] != first["code_challenge"]


def test_the_id_token_carries_the_nonce_of_this_sign_in(client, wester_id):
    authorize_url = start_sign_in(client)

    response = follow_callback(client, provider_answer(authorize_url, sub="demo-hanako"))

    assert response.status_code == 302 and response["Location"] == "/"
    account = SocialAccount.objects.get(uid="demo-hanako")
    assert account.extra_data["id_token"]["nonce"] == query_of(authorize_url)["nonce"]


def test_a_token_with_a_wrong_nonce_signs_nobody_in(client, wester_id):
    """The provider issues a genuine, signed ID token, but for another nonce."""
    authorize_url = with_nonce(start_sign_in(client), "f" * 64)

    response = follow_callback(client, provider_answer(authorize_url, sub="demo-hanako"))

    assert "ログインできませんでした" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert ID_TOKEN_SESSION_KEY not in client.session
    assert not Member.objects.filter(wester_id="demo-hanako").exists()


def test_the_local_provider_refuses_a_sign_in_request_without_a_nonce(client, wester_id):
    """`make run`'s provider is strict, as a real one may be: it proves the portal sends one."""
    authorize_url = with_nonce(start_sign_in(client), None)

    response = requests.post(authorize_url, data={"sub": "demo-hanako"}, allow_redirects=False, timeout=5)

    assert "code=" not in response.headers.get("Location", "")
    assert "nonce" in (response.headers.get("Location", "") + response.text).lower()


@pytest.fixture
def lax_provider_url():
    """A provider that issues an ID token without a nonce when none was asked for."""
    port = free_port()
    process = subprocess.Popen(
        identity_provider_command(port, require_nonce=False), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for_url(f"http://127.0.0.1:{port}/.well-known/openid-configuration")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_token_without_a_nonce_signs_nobody_in(client, settings, lax_provider_url):
    app = dict(settings.SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"][0])
    app["settings"] = {**app["settings"], "server_url": lax_provider_url}
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"OAUTH_PKCE_ENABLED": True, "APPS": [app]}}
    authorize_url = with_nonce(start_sign_in(client), None)

    response = follow_callback(client, provider_answer(authorize_url, sub="demo-hanako"))

    assert "ログインできませんでした" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not Member.objects.filter(wester_id="demo-hanako").exists()


def test_the_sign_in_keeps_the_id_token_and_the_sign_out_sends_it_as_id_token_hint(client, wester_id):
    sign_in(client, "demo-emily")
    id_token = client.session[ID_TOKEN_SESSION_KEY]
    assert claims_of(id_token)["sub"] == "demo-emily"

    response = client.post("/accounts/logout/")

    location = response["Location"]
    assert location.startswith(f"{wester_id}/oauth2/end_session?")
    query = query_of(location)
    assert query["id_token_hint"] == id_token
    assert query["client_id"] == "icoca-portal-local"
    assert query["post_logout_redirect_uri"] == "http://testserver/"
    assert "_auth_user_id" not in client.session and ID_TOKEN_SESSION_KEY not in client.session
    # The provider's end-session endpoint takes it (the browser test follows it to the end).
    ended = requests.get(location, timeout=5)
    assert ended.status_code == 200 and "id_token_hint</code> not set" not in ended.text


def test_a_second_sign_in_in_the_same_browser_keeps_the_new_members_token(client, wester_id):
    sign_in(client, "demo-hanako")
    sign_in(client, "demo-taro")

    assert Member.objects.get(pk=client.session["_auth_user_id"]).wester_id == "demo-taro"
    assert claims_of(client.session[ID_TOKEN_SESSION_KEY])["sub"] == "demo-taro"
