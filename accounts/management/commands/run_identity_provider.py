"""Runs the local WESTER ID stand-in (oidc-provider-mock, through accounts/identity_provider.py,
which imports its signing key once) on 127.0.0.1 with the demo members (and one that sends
only ``name``), for `make run` and the browser tests."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.demo import DEMO_MEMBERS, NAME_ONLY_MEMBERS

# Run by its path with ``-P`` (nothing of the portal on sys.path): it needs only the mock.
PROVIDER_SCRIPT = Path(__file__).resolve().parents[2] / "identity_provider.py"


def identity_provider_command(port: int, members=DEMO_MEMBERS + NAME_ONLY_MEMBERS, *, require_nonce: bool = True) -> list[str]:
    """``require_nonce``: like a strict provider, refuse a sign-in request without a nonce."""
    command = [sys.executable, "-P", str(PROVIDER_SCRIPT), "--host", "127.0.0.1", "--port", str(port)]
    if require_nonce:
        command.append("--require-nonce")
    for member in members:
        command += ["--user-claims", json.dumps(member, ensure_ascii=False)]
    return command


def identity_provider_environment() -> dict[str, str]:
    """This process's environment but ``WEB_CONCURRENCY``, the portal's gunicorn worker count
    (gunicorn.conf.py): uvicorn, which serves the mock, reads it as its own number of workers,
    and with more than one it stops at once (it would need the application as an import
    string), so ``WEB_CONCURRENCY=3 make run`` or ``make load`` had no provider."""
    return {name: value for name, value in os.environ.items() if name != "WEB_CONCURRENCY"}


class Command(BaseCommand):
    help = "Run the local OpenID Connect provider (oidc-provider-mock) with the demo members, on 127.0.0.1."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=9400)

    def handle(self, *args, port: int, **options):
        if not 1024 <= port <= 65535:
            raise CommandError(f"--port must be between 1024 and 65535 (got {port})")
        command = identity_provider_command(port)
        os.execve(command[0], command, identity_provider_environment())  # noqa: S606 (replaces this process; no shell)
