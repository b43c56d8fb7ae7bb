"""Documents with the real pieces: a Redis server, Celery worker processes, a
database both share, SMTP over a socket (ISSUE 5, "Reliability tests").

Each test starts its own ``redis-server`` on a free port (the tests stop and
restart it, so a shared ``REDIS_URL`` is never used) and the workers as
separate processes; the portal itself is driven through
``billing/tests/reliability_driver.py`` in processes of their own. The
database is a SQLite file, or a throwaway PostgreSQL database when
``DATABASE_URL`` names a PostgreSQL server. A machine without ``redis-server``
fails these tests with a message saying so; they are never skipped.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.reliability

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check: Callable[[], object], *, seconds: float, what: str, every: float = 0.5):
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")
        time.sleep(every)


class Redis:
    """A redis-server process of the test's own, that can be stopped and started again."""

    def __init__(self, directory: Path) -> None:
        if not Path(REDIS_SERVER).exists():
            pytest.fail(
                "the reliability tests need redis-server (Debian: apt-get install redis-server); "
                f"{REDIS_SERVER} is missing"
            )
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

        def answers() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    return sock.recv(16).startswith(b"+PONG")
            except OSError:
                return False

        wait_until(answers, seconds=10, what="redis-server to answer", every=0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


class Portal:
    """The environment every process of one test shares, and the processes."""

    def __init__(self, directory: Path, database_url: str, redis: Redis) -> None:
        self.directory = directory
        self.mail = directory / "mail"
        self.mail.mkdir(parents=True, exist_ok=True)
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "REDIS_", "DOCUMENT_"))},
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "PORTAL_ENV": "local",
            "DATABASE_URL": database_url,
            # The broker is the test's Redis; cache and sessions stay on files,
            # so "Redis down" means the broker is down (see the test).
            "CELERY_BROKER_URL": redis.url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_VISIBILITY_TIMEOUT": "10",
            "CELERY_UNACKED_RESTORE_INTERVAL": "1",
            "PORTAL_VAR_DIR": str(directory / "var"),
            "MEDIA_ROOT": str(directory / "media"),
            "EMAIL_URL": f"file:{self.mail}",
            "DOCUMENT_RETRY_BACKOFF_SECONDS": "1",
            "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
            "LOG_LEVEL": "INFO",
        }
        self.workers: list[subprocess.Popen] = []

    def run(self, *command: str, **env: str) -> dict:
        done = subprocess.run(
            [sys.executable, "-m", "billing.tests.reliability_driver", *command],
            cwd=ROOT, env={**self.env, **env}, capture_output=True, text=True, timeout=120,
        )
        assert done.returncode == 0, f"driver {command} failed:\n{done.stderr[-4000:]}"
        return json.loads(done.stdout.strip().splitlines()[-1])

    def start_worker(self, name: str, **env: str) -> subprocess.Popen:
        log = (self.directory / f"worker-{name}.log").open("w")
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "portal", "worker", "-Q", "documents,mail,default",
             "--pool", "prefork", "--concurrency", "1", "--loglevel", "INFO", "-n", f"{name}@%h",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env={**self.env, **env}, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killed whole, children too
        )
        self.workers.append(worker)
        return worker

    @staticmethod
    def kill(worker: subprocess.Popen) -> None:
        """SIGKILL the worker and its pool processes: nothing runs on."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)

    def stop_workers(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                self.kill(worker)

    def tasks_finished(self, task_ids: list[str]) -> bool:
        """Whether the workers logged each of these tasks as finished (portal/task_logging.py:
        one JSON line per task, with its id and end state)."""
        finished = set()
        for path in self.directory.glob("worker-*.log"):
            for line in path.read_text(errors="replace").splitlines():
                with contextlib.suppress(ValueError):
                    entry = json.loads(line)
                    if isinstance(entry, dict) and entry.get("logger") == "portal.task" and entry.get("state"):
                        finished.add(entry.get("task_id"))
        return set(task_ids) <= finished

    def worker_logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(self.directory.glob("worker-*.log")))

    def emails(self) -> list[str]:
        """Every message the file e-mail backend wrote (one file per connection)."""
        messages = []
        for path in sorted(self.mail.glob("*.log")):
            for chunk in path.read_text(errors="replace").split("-" * 79):
                if "Message-ID:" in chunk:
                    messages.append(chunk)
        return messages

    def stored_pdfs(self) -> list[Path]:
        return sorted((self.directory / "media" / "documents").glob("*.pdf"))


@pytest.fixture(scope="module")
def database_url(tmp_path_factory) -> Iterator[str]:
    """A migrated database for the module: a SQLite file, or a throwaway
    PostgreSQL database on the server DATABASE_URL names."""
    configured = os.environ.get("DATABASE_URL", "")
    directory = tmp_path_factory.mktemp("reliability-db")
    if configured.startswith(("postgres://", "postgresql://")):
        import psycopg

        parsed = urlparse(configured)
        name = f"portal_reliability_{uuid.uuid4().hex[:8]}"
        admin = parsed._replace(path="/postgres").geturl()
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        url = parsed._replace(path=f"/{name}").geturl()
    else:
        name, url = None, f"sqlite:///{directory / 'portal.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": url, "PORTAL_VAR_DIR": str(directory / "var")}
    done = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    yield url
    if name:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis(tmp_path) -> Iterator[Redis]:
    server = Redis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def portal(tmp_path, database_url, redis) -> Iterator[Portal]:
    site = Portal(tmp_path, database_url, redis)
    yield site
    site.stop_workers()


def test_a_worker_killed_mid_render_then_restarted_makes_the_document_once_with_one_email(portal):
    member = portal.run("seed")["member"]
    asked = portal.run("ask", str(member))
    document = str(asked["document"])
    assert (asked["status"], asked["queued"]) == ("pending", True)

    # The first worker takes the message and is killed while rendering.
    first = portal.start_worker("first", DOCUMENT_TEST_RENDER_DELAY="60")
    wait_until(lambda: portal.run("status", document)["status"] == "rendering", seconds=60,
               what="the first worker to start rendering")
    portal.kill(first)
    killed = portal.run("status", document)
    assert (killed["status"], killed["attempts"], killed["file"]) == ("rendering", 1, "")

    # Restarted: the message comes back (acks_late; visibility timeout) and is made once.
    portal.start_worker("second")
    try:
        done = wait_until(lambda: (s := portal.run("status", document))["emailed"] and s, seconds=120,
                          what="the document to be ready and e-mailed")
    except AssertionError as error:
        raise AssertionError(f"{error}\n{portal.worker_logs()}") from None
    assert done["status"] == "ready"
    assert done["attempts"] == 2
    assert len(portal.stored_pdfs()) == 1
    downloaded = portal.run("download", document)
    assert (downloaded["status_code"], downloaded["pdf"], downloaded["sha256"]) == (200, True, done["sha256"])

    # A replayed message (a duplicate delivery) changes nothing and sends nothing.
    replayed = portal.run("replay", document)["tasks"]
    wait_until(lambda: portal.tasks_finished(replayed), seconds=60, what="the worker to take the replayed messages")
    again = portal.run("status", document)
    assert (again["sha256"], again["file"], again["attempts"]) == (done["sha256"], done["file"], 2)
    emails = portal.emails()
    assert len(emails) == 1, portal.worker_logs()
    assert "application/pdf" in emails[0] and done["number"] in emails[0]
    assert len(portal.stored_pdfs()) == 1


def test_broker_down_when_the_member_asks_the_request_is_kept_and_made_when_it_is_back(portal, redis):
    member = portal.run("seed")["member"]
    redis.stop()

    asked = portal.run("ask", str(member))
    assert asked["status_code"] == 302
    assert (asked["status"], asked["queued"]) == ("pending", False)
    assert any("準備ができしだい作成し" in message for message in asked["told"]), asked["told"]
    document = str(asked["document"])
    assert portal.run("requeue") == {"sent": 0}  # the beat while it is still down: nothing lost

    redis.start()
    portal.start_worker("worker")
    assert portal.run("requeue") == {"sent": 1}  # the beat once it is back
    try:
        done = wait_until(lambda: (s := portal.run("status", document))["emailed"] and s, seconds=90,
                          what="the kept request to be made")
    except AssertionError as error:
        raise AssertionError(f"{error}\n{portal.worker_logs()}") from None
    assert (done["status"], done["attempts"]) == ("ready", 1)
    assert len(portal.emails()) == 1


class RefusingSmtpServer:
    """An SMTP server that answers every connection ``421`` (service not
    available) and hangs up: the mail server is there but not taking mail."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.connections += 1
            with connection:
                connection.sendall(b"421 4.3.2 Service not available, closing transmission channel\r\n")

    def close(self) -> None:
        self.socket.close()


def test_smtp_failing_the_pdf_is_ready_the_email_is_retried_then_marked_failed(portal):
    smtp = RefusingSmtpServer()
    try:
        member = portal.run("seed")["member"]
        portal.start_worker("worker", EMAIL_URL=f"smtp://127.0.0.1:{smtp.port}", DOCUMENT_EMAIL_MAX_RETRIES="2")
        document = str(portal.run("ask", str(member))["document"])
        try:
            done = wait_until(lambda: (s := portal.run("status", document))["email_failed_reason"] and s,
                              seconds=90, what="the e-mail to be marked failed")
        except AssertionError as error:
            raise AssertionError(f"{error}\n{portal.worker_logs()}") from None
        assert done["status"] == "ready"
        assert not done["emailed"]
        assert "SMTPConnectError" in done["email_failed_reason"]
        assert done["email_attempts"] == 3 == smtp.connections  # the first try and two retries
        downloaded = portal.run("download", document)
        assert (downloaded["status_code"], downloaded["pdf"]) == (200, True)
        assert portal.emails() == []
    finally:
        smtp.close()
