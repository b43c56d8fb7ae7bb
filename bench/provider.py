"""The real local identity provider for benchmarks: the same
``manage.py run_identity_provider`` process the tests start (conftest.py's
``identity_provider_url``), and the ``wester-id`` app pointed at it."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

BASE_DIR = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def identity_provider(seconds: float = 30) -> Iterator[str]:
    """Start oidc-provider-mock with the demo members on a free port; yield
    its URL; stop it afterwards."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, str(BASE_DIR / "manage.py"), "run_identity_provider", "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            _wait_until_up(f"{url}/.well-known/openid-configuration", process, log, seconds)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_up(url: str, process: subprocess.Popen, log, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            log.seek(0)
            output = log.read().decode(errors="replace")[-2000:]
            raise RuntimeError(f"the identity provider did not start on {url}:\n{output}")
        time.sleep(0.1)


def wester_id_settings(settings, server_url: str) -> dict:
    """SOCIALACCOUNT_PROVIDERS with the ``wester-id`` app pointed at
    ``server_url`` (as conftest.py's ``wester_id`` fixture does), for
    ``override_settings(SOCIALACCOUNT_PROVIDERS=...)``."""
    providers = settings.SOCIALACCOUNT_PROVIDERS
    apps = []
    for app in providers["openid_connect"]["APPS"]:
        if app["provider_id"] == settings.WESTER_ID_PROVIDER_ID:
            app = {**app, "settings": {**app["settings"], "server_url": server_url}}
        apps.append(app)
    return {**providers, "openid_connect": {**providers["openid_connect"], "APPS": apps}}
