"""The stack of one load run, on 127.0.0.1 on free ports, beside a ``make run`` or anything
else: its own PostgreSQL cluster (kept in ``var/load/pg``: the seeded database is seeded
once) and redis-server (loadtest/services.py), gunicorn with the repository's
``gunicorn.conf.py``, a Celery worker for the member queues, one for ``documents``, ``celery
beat`` and the local WESTER ID provider; the environment they share, the seeding, the signed-in
sessions, the CPU time of each, and how to stop them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from loadtest.services import (
    PostgresCluster,
    RedisServer,
    free_port,
    kill_group,
    tree_cpu_seconds,
    wait_until,
)

#: The portal ends a session after 30 idle minutes (accounts/sessions.py); a member load longer
#: than that (the monthly burst) gets fresh sessions this often, before any has idled that long
#: (``LOAD_SESSION_RENEW`` seconds, to see it happen in a short run).
SESSION_RENEW_SECONDS = int(os.environ.get("LOAD_SESSION_RENEW", str(20 * 60)))

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def log(text: str) -> None:
    print(f"[load {datetime.now(UTC):%H:%M:%S}] {text}", flush=True)


class Stack:
    """The processes of one run, and how to stop them."""

    def __init__(self, args) -> None:
        self.args = args
        self.base = ROOT / "var" / "load"
        self.run_dir = self.base / f"run-{datetime.now(UTC):%Y%m%d-%H%M%S}"
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.pg = PostgresCluster(self.base / "pg", settings={"max_connections": "300"})
        self.redis = RedisServer(self.run_dir / "redis")
        self.web_port = free_port()
        self.idp_port = free_port()
        self.processes: dict[str, subprocess.Popen] = {}
        self.database = args.database

    @property
    def host(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def env(self, **extra: str) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items()
                if not k.startswith(("CELERY_", "REDIS_", "DATABASE_", "DOCUMENT_", "PORTAL_", "WESTER_ID_"))}
        return {
            **keep,
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "PORTAL_ENV": "local",
            "DEBUG": "false",
            "DATABASE_URL": self.pg.url(self.database),
            "DATABASE_CONN_MAX_AGE": "60",
            "REDIS_URL": self.redis.url(0),
            "PORTAL_VAR_DIR": str(self.base / "var"),
            "MEDIA_ROOT": str(self.base / "media"),
            "EMAIL_URL": f"file:{self.run_dir / 'mail'}",
            "WESTER_ID_ISSUER": f"http://127.0.0.1:{self.idp_port}",
            "PORTAL_BASE_URL": self.host,
            "LOAD_BASELINE_VIEW": "1",
            "LOG_LEVEL": "WARNING",
            "CELERY_VISIBILITY_TIMEOUT": str(self.args.visibility_timeout),
            "CELERY_UNACKED_RESTORE_INTERVAL": "2",
            **extra,
        }

    def manage(self, *command: str, timeout: float = 7200, **extra: str) -> str:
        done = subprocess.run([PY, "manage.py", *command], cwd=ROOT, env=self.env(**extra), capture_output=True,
                              text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(command)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
        return done.stdout

    def start(self, name: str, command: list[str], **extra: str) -> subprocess.Popen:
        logfile = (self.run_dir / f"{name}.log").open("ab")
        process = subprocess.Popen(command, cwd=ROOT, env=self.env(**extra), stdout=logfile, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self.processes[name] = process
        return process

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        process = self.processes.pop(name, None)
        if process is not None and process.poll() is None:
            kill_group(process, sig)

    # --- the pieces -------------------------------------------------------------------------

    def database_up(self) -> None:
        log(f"PostgreSQL cluster {self.pg.data} on port {self.pg.port}")
        self.pg.start()
        if self.pg.create_database(self.database):
            log(f"database {self.database} created")
        self.manage("migrate", "--noinput", "-v", "0")

    def seeded_members(self) -> int:
        import psycopg

        with psycopg.connect(self.pg.url(self.database)) as connection:
            return connection.execute(
                "SELECT count(DISTINCT member_id) FROM cards_card"
            ).fetchone()[0]

    def seed(self) -> None:
        have = self.seeded_members()
        if have >= self.args.members:
            log(f"{have:,} members seeded already (--members {self.args.members:,})")
            return
        log(f"seeding {self.args.members:,} members with a year of history each (seed_demo; long for 20,000)")
        started = time.monotonic()
        out = self.manage("seed_demo", "--members", str(self.args.members), "--output",
                          str(self.base / "seed-feed.jsonl"))
        (self.base / "seed-feed.jsonl").unlink(missing_ok=True)
        log(f"seeded in {time.monotonic() - started:.0f} s: {out.strip().splitlines()[0][:200]}")
        self.manage_sql("VACUUM ANALYZE")

    def manage_sql(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.pg.url(self.database), autocommit=True) as connection:
            connection.execute(sql)

    def services_up(self) -> None:
        self.redis.start()
        log(f"redis-server on port {self.redis.port}")
        self.start("identity-provider", [PY, "manage.py", "run_identity_provider", "--port", str(self.idp_port)])
        self.start("web", [PY, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
                   GUNICORN_BIND=f"127.0.0.1:{self.web_port}", WEB_CONCURRENCY=str(self.args.web_workers))
        self.start_member_worker()
        self.start_documents_worker()
        self.start("beat", [PY, "-m", "celery", "-A", "portal", "beat", "--loglevel", "WARNING",
                            "--schedule", str(self.run_dir / "celerybeat-schedule")])
        wait_until(lambda: self.http_ok(f"http://127.0.0.1:{self.idp_port}/.well-known/openid-configuration"),
                   seconds=60, what="the identity provider")
        wait_until(lambda: self.http_ok(f"{self.host}/healthz"), seconds=60, what="gunicorn /healthz")
        log(f"gunicorn ({self.args.web_workers} workers) on {self.host}, identity provider on port {self.idp_port}")

    def start_member_worker(self) -> None:
        self.start("worker-members", [PY, "-m", "celery", "-A", "portal", "worker", "-Q", "default,mail", "-n",
                                      "members@%h", "--pool", "prefork", "--concurrency", "1", "--loglevel", "WARNING",
                                      "--without-gossip", "--without-mingle"])

    def start_documents_worker(self) -> None:
        self.start("worker-documents", [PY, "-m", "celery", "-A", "portal", "worker", "-Q", "documents", "-n",
                                        "documents@%h", "--pool", "prefork", "--concurrency",
                                        str(self.args.document_workers), "--prefetch-multiplier", "1",
                                        "--loglevel", "WARNING", "--without-gossip", "--without-mingle"])

    @staticmethod
    def http_ok(url: str) -> bool:
        import urllib.request

        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (127.0.0.1)
                return response.status == 200
        except OSError:
            return False

    def sessions(self) -> Path:
        """Signed-in sessions for the Locust members, in a file they read (and read again
        when :meth:`renew_sessions` replaces it)."""
        path = self.run_dir / "sessions.jsonl"
        self.renew_sessions(path)
        return path

    def renew_sessions(self, path: Path) -> None:
        """New sessions for the same members (``load_prepare`` picks them with a fixed seed),
        replacing the file whole, so a Locust reading it never sees half of one: runs longer
        than the portal's idle timeout (30 minutes) renew them every SESSION_RENEW_SECONDS."""
        fresh = path.with_name(path.name + ".new")
        self.manage("load_prepare", "--sessions", str(self.args.sessions), "--output", str(fresh))
        os.replace(fresh, path)

    def sign_in_subs(self) -> str:
        import psycopg

        with psycopg.connect(self.pg.url(self.database)) as connection:
            rows = connection.execute(
                "SELECT wester_id FROM accounts_member WHERE wester_id LIKE 'bench-%%' ORDER BY id DESC LIMIT 200"
            ).fetchall()
        return ",".join(r[0] for r in rows)

    def cpu(self) -> dict[str, float]:
        pids = {"database": self.pg.pid(), "redis": self.redis.process.pid if self.redis.process else None}
        for name in ("web", "worker-members", "worker-documents", "beat"):
            process = self.processes.get(name)
            pids[name] = process.pid if process is not None and process.poll() is None else None
        return {name: tree_cpu_seconds(pid) if pid else 0.0 for name, pid in pids.items()}

    def down(self) -> None:
        for name in list(self.processes):
            self.stop(name)
        self.redis.stop()
        self.pg.stop()
