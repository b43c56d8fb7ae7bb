"""Drive a sign-in through the real local provider with Django's test client
(the provider is another process reached over HTTP)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import requests


def provider_set_claims(provider_url: str, sub: str, **claims) -> None:
    response = requests.put(f"{provider_url}/users/{sub}", json=claims, timeout=5)
    response.raise_for_status()


def start_sign_in(client, next_url: str | None = None) -> str:
    response = client.post("/accounts/oidc/wester-id/login/", {"next": next_url} if next_url else {})
    assert response.status_code == 302, response.content
    return response["Location"]


def provider_answer(authorize_url: str, *, sub: str | None = None, deny: bool = False) -> str:
    data = {"action": "deny"} if deny else {"sub": sub}
    response = requests.post(authorize_url, data=data, allow_redirects=False, timeout=5)
    assert response.status_code in (302, 303), response.text
    return response.headers["Location"]


def follow_callback(client, callback_url: str):
    parsed = urlparse(callback_url)
    return client.get(parsed.path, {k: v[0] for k, v in parse_qs(parsed.query).items()})


def sign_in(client, sub: str, next_url: str | None = None):
    return follow_callback(client, provider_answer(start_sign_in(client, next_url), sub=sub))
