"""An operator points the portal at another OpenID Connect provider with the
three WESTER_ID_* variables and nothing else."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from django.conf import settings as django_settings

from accounts.models import Member
from accounts.tests.oidc import follow_callback, provider_answer, provider_set_claims, start_sign_in
from conftest import free_port, wait_for_url

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def settings_read_with(env: dict[str, str]) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps(s.SOCIALACCOUNT_PROVIDERS['openid_connect']))"
    )
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", **env}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


def test_the_three_variables_configure_the_wester_id_app():
    config = settings_read_with(
        {
            "WESTER_ID_ISSUER": "https://id.example.org/realms/portal",
            "WESTER_ID_CLIENT_ID": "another-client",
            "WESTER_ID_CLIENT_SECRET": "another-secret",
        }
    )
    (app,) = config["APPS"]
    assert app["provider_id"] == "wester-id"
    assert (app["client_id"], app["secret"]) == ("another-client", "another-secret")
    assert app["settings"]["server_url"] == "https://id.example.org/realms/portal"
    assert app["settings"]["oauth_pkce_enabled"] is True


@pytest.fixture
def other_provider_url():
    """A second, separate provider process, as if it were another company's IdP."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "run_identity_provider", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_url(f"http://127.0.0.1:{port}/.well-known/openid-configuration")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_sign_in_works_against_another_provider_with_another_client(client, settings, other_provider_url):
    other = other_provider_url
    app = dict(django_settings.SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"][0])
    app.update(client_id="another-client", secret="another-secret")
    app["settings"] = {**app["settings"], "server_url": other}
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"OAUTH_PKCE_ENABLED": True, "APPS": [app]}}
    provider_set_claims(other, "elsewhere-1", name="別 IdP", email="other@example.org")

    authorize_url = start_sign_in(client)
    assert authorize_url.startswith(other + "/")
    assert parse_qs(urlparse(authorize_url).query)["client_id"] == ["another-client"]
    response = follow_callback(client, provider_answer(authorize_url, sub="elsewhere-1"))

    assert response.status_code == 302
    assert Member.objects.get(wester_id="elsewhere-1").name == "別 IdP"


def test_the_local_provider_starts_beside_a_web_concurrency_set_for_gunicorn():
    """``WEB_CONCURRENCY`` sizes the portal's gunicorn; uvicorn, under the local provider, read
    it as its own worker count and stopped at once (``WEB_CONCURRENCY=3 make load``)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "run_identity_provider", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "WEB_CONCURRENCY": "3"},
    )
    try:
        wait_for_url(f"http://127.0.0.1:{port}/.well-known/openid-configuration")
        assert process.poll() is None
    finally:
        process.terminate()
        process.wait(timeout=10)
