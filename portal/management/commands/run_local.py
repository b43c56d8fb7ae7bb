"""`make run`: the local identity provider, a Celery worker (with beat) and
the web server, stopped together with Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

LOCAL_ISSUER = "http://127.0.0.1:9400"
LOCAL_PROVIDER_PORT = 9400


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def provider_port(web_port: int) -> int:
    """The local identity provider's port for a web server on ``web_port``: 9400 beside 8000,
    and as far from 9400 as the web server is from 8000 (8001 → 9401), so two checkouts side by
    side never clash; a free port when that one is taken."""
    wanted = LOCAL_PROVIDER_PORT + (web_port - 8000)
    if 1024 <= wanted <= 65535 and wanted != web_port and _port_free("127.0.0.1", wanted):
        return wanted
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 (local URL)
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.2)
    return False


class Command(BaseCommand):
    help = "Run the portal locally: identity provider, Celery worker and web server."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000, help="web server port (default 8000)")

    def handle(self, *args, port: int, **options):
        manage = str(Path(settings.BASE_DIR) / "manage.py")
        if not _port_free("127.0.0.1", port):
            raise CommandError(f"Port {port} on 127.0.0.1 is in use. Stop what uses it, or run: make run PORT=8001")
        processes: list[subprocess.Popen] = []

        def stop(signum, frame):
            raise KeyboardInterrupt

        # `kill` (SIGTERM) or a closed terminal stop the children too, like Ctrl-C.
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGHUP, stop)

        # The links in e-mails point at this server; the local provider's address follows PORT.
        child_env = {**os.environ, "PORTAL_BASE_URL": f"http://127.0.0.1:{port}"}

        def start(name: str, command: list[str]) -> None:
            self.stdout.write(f"starting {name}: {' '.join(command[:6])} ...")
            processes.append(subprocess.Popen(command, env=child_env))

        try:
            if settings.WESTER_ID_ISSUER.rstrip("/") == LOCAL_ISSUER:
                idp_port = provider_port(port)
                issuer = f"http://127.0.0.1:{idp_port}"
                child_env["WESTER_ID_ISSUER"] = issuer
                self.stdout.write(f"local identity provider (WESTER ID): {issuer}")
                start("identity provider", [sys.executable, manage, "run_identity_provider", "--port", str(idp_port)])
                if not _wait_for(f"{issuer}/.well-known/openid-configuration", 30):
                    raise CommandError(f"The local identity provider did not start on port {idp_port} within 30 s.")
            start(
                "worker",
                [sys.executable, "-m", "celery", "-A", "portal", "worker", "--beat", "--pool", "solo",
                 "-Q", "default,documents,mail", "--loglevel", "INFO",
                 "--schedule", str(Path(settings.VAR_DIR) / "celerybeat-schedule")],
            )
            start("web server", [sys.executable, manage, "runserver", f"127.0.0.1:{port}"])
            if not _wait_for(f"http://127.0.0.1:{port}/healthz", 60):
                raise CommandError("The web server did not answer /healthz within 60 s.")
            self._print_welcome(port, child_env.get("WESTER_ID_ISSUER", settings.WESTER_ID_ISSUER))
            while all(p.poll() is None for p in processes):
                time.sleep(0.5)
            raise CommandError("A process stopped; see the log above. Everything is being stopped.")
        except KeyboardInterrupt:
            self.stdout.write("\nstopping ...")
        finally:
            for process in processes:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()

    def _print_welcome(self, port: int, issuer: str) -> None:
        from accounts.demo import DEMO_MEMBERS, NAME_ONLY_MEMBERS

        members = "\n".join(f"      {m['sub']:<14} {m['name']}" for m in DEMO_MEMBERS + NAME_ONLY_MEMBERS)
        self.stdout.write(
            self.style.SUCCESS(
                f"""
============================================================
  ICOCA member portal: http://127.0.0.1:{port}/

  Sign in: click 「WESTER IDでログイン」, then at the local
  WESTER ID page ({issuer}) click one of the demo members
  (or type its sub):
{members}

  Support center (/admin/): create a staff account with
      .venv/bin/python manage.py create_staff YOUR-NAME --role agent
  (or --role supervisor / operator; README, "Support center"),
  then sign in at http://127.0.0.1:{port}/admin/ and set up TOTP.

  E-mails are printed here. Ctrl-C stops everything.
============================================================
"""
            )
        )
