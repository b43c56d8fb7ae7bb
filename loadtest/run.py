"""``make load``: the whole stack on this machine under a bounded load (docs/performance.md, "Load").

Everything runs on 127.0.0.1 on free ports, beside a ``make run`` or anything else:

- a PostgreSQL cluster of its own in ``var/load/pg`` (kept: the seeded database is seeded once;
  the database and worker CPU are read from their own processes), the database ``portal_load``;
- a redis-server of its own (cache, sessions, broker);
- gunicorn with the repository's ``gunicorn.conf.py``;
- a Celery worker for the member queues (``default,mail``), a worker with two processes for
  ``documents`` (as production separates them), and ``celery beat``;
- the local WESTER ID provider;
- Locust, headless, from 127.0.0.1, for a fixed time per step.

Scenarios (``--scenarios``, comma separated): ``members`` (the mix at rising concurrency, then
the bare view at the same steps), ``burst`` (the monthly statements under member load),
``redis`` (Redis stopped during member load), ``postgres`` (PostgreSQL restarted during member
load), ``kill`` (a documents worker SIGKILLed during the burst). The report is printed and
written to ``var/load/report-<time>.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from loadtest.services import (
    PostgresCluster,
    RedisServer,
    free_port,
    kill_group,
    tree_cpu_seconds,
    tree_rss_bytes,
    wait_until,
)

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
P95_LIMIT_MS = 250


def log(text: str) -> None:
    print(f"[load {datetime.now(UTC):%H:%M:%S}] {text}", flush=True)


@dataclass
class Step:
    users: int
    rps: float
    failures: int
    requests: int
    p50: float
    p95: float
    p99: float
    pages: list[dict] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.failures == 0 and self.p95 <= P95_LIMIT_MS and self.requests > 0


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
        path = self.run_dir / "sessions.jsonl"
        self.manage("load_prepare", "--sessions", str(self.args.sessions), "--output", str(path))
        return path

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


class Locust:
    """One headless Locust run: fixed users, fixed time; the CSV it writes, read back."""

    def __init__(self, stack: Stack, sessions: Path) -> None:
        self.stack = stack
        self.sessions = sessions
        self.subs = stack.sign_in_subs()

    def start(self, name: str, users: int, seconds: int, classes: list[str], wait: str = "0") -> subprocess.Popen:
        prefix = self.stack.run_dir / name
        command = [PY, "-m", "locust", "-f", str(ROOT / "loadtest" / "locustfile.py"), "--headless", "--only-summary",
                   "-u", str(users), "-r", str(max(users, 1)), "-t", f"{seconds}s", "--stop-timeout", "10",
                   "--host", self.stack.host, "--csv", str(prefix), "--loglevel", "WARNING", *classes]
        env = {"LOAD_SESSIONS": str(self.sessions), "LOAD_SIGN_IN_SUBS": self.subs, "LOAD_WAIT": wait,
               "LOAD_SIGN_INS_PER_MINUTE": str(self.stack.args.sign_ins_per_minute)}
        logfile = (self.stack.run_dir / f"{name}.log").open("ab")
        return subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdout=logfile,
                                stderr=subprocess.STDOUT, start_new_session=True)

    def run(self, name: str, users: int, seconds: int, classes: list[str], wait: str = "0") -> Step:
        before = self.stack.cpu()
        started = time.monotonic()
        process = self.start(name, users, seconds, classes, wait)
        process.wait(timeout=seconds + 120)
        elapsed = time.monotonic() - started
        after = self.stack.cpu()
        step = read_stats(self.stack.run_dir / f"{name}_stats.csv", users)
        step.seconds = elapsed
        step.cpu = {k: (after[k] - before.get(k, 0.0)) / max(elapsed, 1) for k in after}
        (self.stack.run_dir / f"{name}_cpu.json").write_text(json.dumps({"before": before, "after": after,
                                                                         "seconds": elapsed}))
        return step


def read_stats(path: Path, users: int) -> Step:
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    pages = []
    total = None
    for row in rows:
        entry = {
            "name": row["Name"], "method": row["Type"], "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]), "rps": float(row["Requests/s"]),
            "p50": float(row["50%"] or 0), "p95": float(row["95%"] or 0), "p99": float(row["99%"] or 0),
        }
        if row["Name"] == "Aggregated":
            total = entry
        else:
            pages.append(entry)
    if total is None:
        raise RuntimeError(f"no aggregated row in {path}")
    return Step(users=users, rps=total["rps"], failures=total["failures"], requests=total["requests"],
                p50=total["p50"], p95=total["p95"], p99=total["p99"], pages=pages)


# --- scenarios ---------------------------------------------------------------------------------

MIX = ["SignedInMember", "SignInMember"]


def scenario_members(stack: Stack, locust: Locust, report: list[str]) -> dict:
    args = stack.args
    log(f"warm-up: {args.warmup} s of the mix")
    locust.run("warmup", 2, args.warmup, MIX)
    results: dict[str, list[Step]] = {"mix": [], "baseline": []}
    for kind, classes in (("mix", MIX), ("baseline", ["Baseline"])):
        for users in args.steps:
            step = locust.run(f"{kind}-{users}", users, args.duration, classes)
            results[kind].append(step)
            log(f"{kind} {users:>3} users: {step.rps:7.1f} req/s, p50 {step.p50:.0f} ms, p95 {step.p95:.0f} ms, "
                f"p99 {step.p99:.0f} ms, {step.failures} failures; CPU/s db {step.cpu['database']:.2f} "
                f"web {step.cpu['web']:.2f} workers {step.cpu['worker-members'] + step.cpu['worker-documents']:.2f}")
            if step.failures or step.p95 > 4 * P95_LIMIT_MS:
                break
    mix_ok = [s for s in results["mix"] if s.ok]
    base_ok = [s for s in results["baseline"] if s.ok]
    best_mix = max(mix_ok, key=lambda s: s.rps, default=None)
    best_base = max(base_ok, key=lambda s: s.rps, default=None)
    report.append("## Members: the mix at rising concurrency, then the bare view\n")
    report.append("No think time (each Locust user asks again as soon as it has its answer): the step's "
                  "throughput is what the stack serves at that concurrency. One of the mix's users signs in "
                  f"through the local WESTER ID ({args.sign_ins_per_minute:g} a minute); the others are signed in.\n")
    report.append("| what | users | req/s | p50 ms | p95 ms | p99 ms | failures | CPU s/s: database | web | "
                  "workers | redis |")
    report.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for kind in ("mix", "baseline"):
        for s in results[kind]:
            report.append(f"| {kind} | {s.users} | {s.rps:.1f} | {s.p50:.0f} | {s.p95:.0f} | {s.p99:.0f} | {s.failures} "
                          f"| {s.cpu['database']:.2f} | {s.cpu['web']:.2f} | "
                          f"{s.cpu['worker-members'] + s.cpu['worker-documents']:.2f} | {s.cpu['redis']:.2f} |")
    report.append("")
    summary: dict = {}
    if best_mix:
        report.append(f"**The mix: {best_mix.rps:.1f} requests/s with p95 ≤ {P95_LIMIT_MS} ms and 0 errors** "
                      f"({best_mix.users} users).")
        home = next((p for p in best_mix.pages if p["name"] == "マイページ /"), None)
        summary["mix_rps"] = best_mix.rps
        report.append("\nPer page at that step:\n")
        report.append("| page | requests | p50 ms | p95 ms | p99 ms | failures |")
        report.append("|---|---:|---:|---:|---:|---:|")
        for p in sorted(best_mix.pages, key=lambda p: -p["requests"]):
            report.append(f"| {p['method']} {p['name']} | {p['requests']} | {p['p50']:.0f} | {p['p95']:.0f} | "
                          f"{p['p99']:.0f} | {p['failures']} |")
        report.append("")
    else:
        report.append(f"**The mix never kept p95 ≤ {P95_LIMIT_MS} ms with 0 errors at these steps.**")
        home = None
    if best_base:
        summary["baseline_rps"] = best_base.rps
        report.append(f"**The bare view: {best_base.rps:.1f} requests/s** ({best_base.users} users).")
    if best_mix and best_base:
        ratio = best_mix.rps / best_base.rps
        summary["ratio"] = ratio
        report.append(f"\nThe mix reaches **{ratio:.0%}** of the bare view's throughput (target ≥ 40 %).")
    # マイページ alone, at the best mix step's concurrency.
    if best_base:
        users = best_mix.users if best_mix else args.steps[0]
        alone = locust.run(f"home-{users}", users, args.duration, ["HomeOnly"])
        summary["home_rps"] = alone.rps
        report.append(f"マイページ alone at {users} users: {alone.rps:.1f} requests/s, p95 {alone.p95:.0f} ms, "
                      f"{alone.failures} failures: **{alone.rps / best_base.rps:.0%}** of the bare view "
                      "(target ≥ 50 %).")
    if home:
        report.append(f"(マイページ inside the mix: p95 {home['p95']:.0f} ms.)")
    report.append("")
    return summary


def monthly_state(stack: Stack, period: date) -> dict:
    import psycopg

    with psycopg.connect(stack.pg.url(stack.database)) as connection:
        row = connection.execute(
            "SELECT count(*), count(*) FILTER (WHERE status = 'ready'), count(emailed_at), "
            "count(*) FILTER (WHERE status = 'failed'), count(DISTINCT member_id) "
            "FROM billing_document WHERE origin = 'monthly' AND period_start = %s", (period,)
        ).fetchone()
    return dict(zip(("made", "ready", "emailed", "failed", "members"), row, strict=True))


def count_emails(directory: Path, subject_part: str = "") -> int:
    count = 0
    for path in directory.glob("*.log"):
        with path.open(encoding="utf-8", errors="replace") as stream:
            for line in stream:
                if line.startswith("Message-ID:"):
                    count += 1
    return count


def last_month_period(today: date | None = None) -> date:
    from zoneinfo import ZoneInfo

    today = today or datetime.now(ZoneInfo("Asia/Tokyo")).date()
    return date(today.year - 1, 12, 1) if today.month == 1 else date(today.year, today.month - 1, 1)


def scenario_burst(stack: Stack, locust: Locust, report: list[str], *, kill: bool = False) -> dict:
    args = stack.args
    period = last_month_period()
    count = args.burst_members
    title = "Monthly statements, a documents worker SIGKILLed midway" if kill else "The 1st of the month"
    log(f"{title}: {count:,} members opted in for {period:%Y-%m}")
    stack.manage("load_prepare", "--opt-in", str(count), "--monthly", f"{period:%Y-%m}")
    mail_dir = stack.run_dir / "mail"
    emails_before = count_emails(mail_dir) if mail_dir.exists() else 0
    load = locust.start(f"{'kill' if kill else 'burst'}-members", args.burst_users, args.burst_minutes * 60 + 600,
                        MIX, wait=args.burst_wait)
    time.sleep(5)
    started = time.monotonic()
    sent = subprocess.run([PY, "-m", "celery", "-A", "portal", "call", "billing.documents.tasks.monthly_statements_queue"],
                          cwd=ROOT, env=stack.env(), capture_output=True, text=True, timeout=60)
    if sent.returncode != 0:
        raise RuntimeError(f"celery call failed: {sent.stderr[-2000:]}")
    redis_peak = 0
    member_worker_rss_peak = 0
    killed_at = None
    samples = []
    deadline = started + args.burst_minutes * 60
    state = monthly_state(stack, period)
    while time.monotonic() < deadline:
        time.sleep(2)
        redis_peak = max(redis_peak, stack.redis.used_memory())
        worker = stack.processes.get("worker-members")
        if worker is not None:
            member_worker_rss_peak = max(member_worker_rss_peak, tree_rss_bytes(worker.pid))
        state = monthly_state(stack, period)
        samples.append((time.monotonic() - started, state["ready"]))
        if kill and killed_at is None and state["ready"] >= max(count // 4, 1):
            log("SIGKILL to the documents worker and its processes")
            stack.stop("worker-documents", signal.SIGKILL)
            killed_at = time.monotonic() - started
            time.sleep(3)
            stack.start_documents_worker()
        if state["emailed"] + state["failed"] >= count:
            break
    elapsed = time.monotonic() - started
    # Let the member load run to the end of this minute's stats, then stop it.
    kill_group(load, signal.SIGINT)
    step = read_stats(stack.run_dir / f"{'kill' if kill else 'burst'}-members_stats.csv", args.burst_users)
    time.sleep(3)
    emails = count_emails(mail_dir) - emails_before
    duplicates = _duplicate_monthly(stack, period)
    per_minute = state["ready"] / (elapsed / 60) if elapsed else 0
    report.append(f"## {title}\n")
    report.append(f"- {count:,} members want last month's statement ({period:%Y-%m}); "
                  f"{args.document_workers} documents worker processes; member load meanwhile: {args.burst_users} "
                  f"users waiting {args.burst_wait} s between pages.")
    report.append(f"- After {elapsed:.0f} s: {state['made']:,} statements made, {state['ready']:,} ready, "
                  f"{state['failed']} failed, {state['emailed']:,} marked e-mailed, {emails:,} e-mails written; "
                  f"members with more than one statement: {duplicates}.")
    report.append(f"- **{per_minute:.0f} documents per minute** (ready ÷ elapsed, including the member load's share "
                  "of the CPU).")
    report.append(f"- Redis used memory peak during the burst: {redis_peak / 2**20:.1f} MiB; the member worker's "
                  f"(which runs the chunked enqueuing) RSS peak: {member_worker_rss_peak / 2**20:.0f} MiB.")
    enqueued = _enqueue_seconds(stack)
    if enqueued:
        report.append(f"- The last chunk was sent {enqueued}.")
    if killed_at is not None:
        report.append(f"- The documents worker was SIGKILLed {killed_at:.0f} s in and started again 3 s later.")
    report.append(f"- Member pages meanwhile: {step.rps:.1f} req/s, p50 {step.p50:.0f} ms, p95 {step.p95:.0f} ms, "
                  f"p99 {step.p99:.0f} ms, {step.failures} failures of {step.requests}.")
    report.append("")
    return {"per_minute": per_minute, "p95": step.p95, "duplicates": duplicates, "emails": emails,
            "ready": state["ready"], "count": count}


def _duplicate_monthly(stack: Stack, period: date) -> int:
    import psycopg

    with psycopg.connect(stack.pg.url(stack.database)) as connection:
        return connection.execute(
            "SELECT count(*) FROM (SELECT member_id FROM billing_document WHERE origin = 'monthly' "
            "AND period_start = %s GROUP BY member_id HAVING count(*) > 1) AS twice", (period,)
        ).fetchone()[0]


def _enqueue_seconds(stack: Stack) -> str:
    path = stack.run_dir / "worker-members.log"
    with contextlib.suppress(OSError):
        for line in path.read_text(errors="replace").splitlines():
            if "monthly statements all sent" in line:
                return "(see worker-members.log: 'monthly statements all sent')"
    return ""


def _fault_load(stack: Stack, locust: Locust, name: str, users: int, seconds: int, fault) -> tuple[Step, list]:
    """Member load for ``seconds``; ``fault`` runs in the middle. Returns the step and a timeline of
    /healthz-free probes of マイページ (status each 0.5 s) kept by a thread."""
    import urllib.request

    sessions = [json.loads(line) for line in locust.sessions.read_text().splitlines() if line.strip()]
    cookie = f"{sessions[0]['cookie']}={sessions[0]['session']}"
    timeline: list[tuple[float, int]] = []
    stop = threading.Event()
    started = time.monotonic()

    def probe() -> None:
        while not stop.is_set():
            request = urllib.request.Request(f"{stack.host}/", headers={"Cookie": cookie})  # noqa: S310
            try:
                with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (127.0.0.1)
                    status = response.status
            except urllib.error.HTTPError as error:
                status = error.code
            except OSError:
                status = 0
            timeline.append((time.monotonic() - started, status))
            time.sleep(0.5)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    load = locust.start(name, users, seconds, ["SignedInMember"])
    fault()
    load.wait(timeout=seconds + 120)
    stop.set()
    thread.join(timeout=10)
    return read_stats(stack.run_dir / f"{name}_stats.csv", users), timeline


def _timeline_text(timeline: list[tuple[float, int]]) -> str:
    bad = [(t, s) for t, s in timeline if s != 200]
    if not bad:
        return f"マイページ probed every 0.5 s: all {len(timeline)} answers 200"
    return (f"マイページ probed every 0.5 s: {len(bad)} of {len(timeline)} not 200 "
            f"(statuses {sorted({s for _, s in bad})}, from {bad[0][0]:.1f} s to {bad[-1][0]:.1f} s)")


def unfinished_requests(stack: Stack) -> int:
    import psycopg

    with psycopg.connect(stack.pg.url(stack.database)) as connection:
        return connection.execute(
            "SELECT count(*) FROM billing_document WHERE origin = 'request' AND status IN ('pending', 'rendering')"
        ).fetchone()[0]


def scenario_redis(stack: Stack, locust: Locust, report: list[str]) -> dict:
    args = stack.args
    log(f"Redis stopped for {args.redis_down} s during member load")
    period_ask: dict = {}

    def fault() -> None:
        time.sleep(10)
        stack.redis.stop()
        period_ask["down_at"] = time.monotonic()
        time.sleep(args.redis_down)
        stack.redis.start()

    step, timeline = _fault_load(stack, locust, "redis-members", args.fault_users, args.redis_down + 30, fault)
    # What beat does every 5 minutes (documents_requeue_stuck), now: the requests kept while the
    # broker was away are sent, and made.
    subprocess.run([PY, "-m", "celery", "-A", "portal", "call", "billing.documents.tasks.documents_requeue_stuck"], cwd=ROOT,
                   env=stack.env(), capture_output=True, timeout=60, check=False)
    with contextlib.suppress(TimeoutError):
        wait_until(lambda: unfinished_requests(stack) == 0, seconds=120, what="the kept requests", every=2)
    left = unfinished_requests(stack)
    report.append(f"## Redis stopped for {args.redis_down} s during member load\n")
    report.append(f"- Documents asked for by members and not ready 2 minutes after the beat's requeue: {left}.")
    report.append(f"- Member pages: {step.requests} requests, {step.failures} failures, p95 {step.p95:.0f} ms.")
    report.append(f"- {_timeline_text(timeline)}.")
    fails = [p for p in step.pages if p["failures"]]
    if fails:
        report.append("- Failures by page: " + ", ".join(f"{p['name']} {p['failures']}" for p in fails) + ".")
    report.append("")
    return {"failures": step.failures}


def scenario_postgres(stack: Stack, locust: Locust, report: list[str]) -> dict:
    args = stack.args
    log("PostgreSQL restarted during member load")
    marks: dict = {}

    def fault() -> None:
        time.sleep(10)
        marks["restart"] = time.monotonic()
        stack.pg.restart()
        marks["up"] = time.monotonic()

    step, timeline = _fault_load(stack, locust, "postgres-members", args.fault_users, 40, fault)
    started = min(t for t, _ in timeline) if timeline else 0
    bad = [t for t, s in timeline if s != 200]
    report.append("## PostgreSQL restarted (pg_ctl restart -m fast) during member load\n")
    report.append(f"- The restart took {marks['up'] - marks['restart']:.1f} s.")
    report.append(f"- Member pages: {step.requests} requests, {step.failures} failures, p95 {step.p95:.0f} ms.")
    report.append(f"- {_timeline_text(timeline)}.")
    if bad:
        report.append(f"- Answers were 200 again {bad[-1] - bad[0]:.1f} s after the first error "
                      "(target: within 10 s of PostgreSQL being back, without restarting the portal).")
    report.append("")
    return {"failures": step.failures, "started": started}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtest", description=__doc__.split("\n\n")[0])
    env = os.environ.get
    parser.add_argument("--members", type=int, default=int(env("LOAD_MEMBERS", "20000")))
    parser.add_argument("--database", default=env("LOAD_DATABASE", "portal_load"))
    parser.add_argument("--scenarios", default=env("LOAD_SCENARIOS", "members"),
                        help="members,burst,redis,postgres,kill or all")
    parser.add_argument("--duration", type=int, default=int(env("LOAD_DURATION", "30")), help="seconds per step")
    parser.add_argument("--warmup", type=int, default=int(env("LOAD_WARMUP", "10")))
    parser.add_argument("--steps", default=env("LOAD_STEPS", "2,4,8,16"))
    parser.add_argument("--sessions", type=int, default=int(env("LOAD_SESSIONS_COUNT", "500")))
    parser.add_argument("--web-workers", type=int, default=int(env("WEB_CONCURRENCY", "5")))
    parser.add_argument("--document-workers", type=int, default=int(env("LOAD_DOCUMENT_WORKERS", "2")))
    parser.add_argument("--sign-ins-per-minute", type=float, default=float(env("LOAD_SIGN_INS_PER_MINUTE", "12")))
    parser.add_argument("--burst-members", type=int, default=int(env("LOAD_BURST_MEMBERS", "0")) or None)
    parser.add_argument("--burst-minutes", type=int, default=int(env("LOAD_BURST_MINUTES", "240")))
    parser.add_argument("--burst-users", type=int, default=int(env("LOAD_BURST_USERS", "8")))
    parser.add_argument("--burst-wait", default=env("LOAD_BURST_WAIT", "1-3"))
    parser.add_argument("--fault-users", type=int, default=int(env("LOAD_FAULT_USERS", "4")))
    parser.add_argument("--redis-down", type=int, default=int(env("LOAD_REDIS_DOWN", "30")))
    parser.add_argument("--visibility-timeout", type=int, default=int(env("LOAD_VISIBILITY_TIMEOUT", "120")))
    args = parser.parse_args(argv)
    args.steps = [int(s) for s in str(args.steps).split(",") if s.strip()]
    args.burst_members = args.burst_members or args.members
    scenarios = ["members", "burst", "redis", "postgres", "kill"] if args.scenarios == "all" else \
        [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = set(scenarios) - {"members", "burst", "redis", "postgres", "kill"}
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")

    def interrupted(signum, frame):
        raise KeyboardInterrupt

    # `kill` (SIGTERM) stops the run like Ctrl-C: everything it started is stopped too.
    signal.signal(signal.SIGTERM, interrupted)
    stack = Stack(args)
    report = [f"# make load, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n"]
    results: dict = {}
    try:
        stack.database_up()
        stack.seed()
        stack.services_up()
        sessions = stack.sessions()
        locust = Locust(stack, sessions)
        load_before = os.getloadavg()[0]
        report.append(f"- {stack.seeded_members():,} members seeded; {args.web_workers} gunicorn workers; "
                      f"{args.document_workers} documents worker processes; {os.cpu_count()} cores; "
                      f"load average {load_before:.2f} at the start; Locust on the same machine.")
        report.append(f"- Re-run: `make load LOAD_MEMBERS={args.members} LOAD_SCENARIOS={','.join(scenarios)} "
                      f"LOAD_DURATION={args.duration} LOAD_STEPS={','.join(map(str, args.steps))}`\n")
        for name in scenarios:
            if name == "members":
                results["members"] = scenario_members(stack, locust, report)
            elif name == "burst":
                results["burst"] = scenario_burst(stack, locust, report)
            elif name == "kill":
                results["kill"] = scenario_burst(stack, locust, report, kill=True)
            elif name == "redis":
                results["redis"] = scenario_redis(stack, locust, report)
            elif name == "postgres":
                results["postgres"] = scenario_postgres(stack, locust, report)
        report.append(f"Load average at the end: {os.getloadavg()[0]:.2f}. Logs and Locust's CSV: "
                      f"{stack.run_dir.relative_to(ROOT)}/")
    finally:
        stack.down()
        text = "\n".join(report) + "\n"
        (stack.run_dir / "report.md").write_text(text, encoding="utf-8")
        (stack.base / f"report-{stack.run_dir.name[4:]}.md").write_text(text, encoding="utf-8")
        (stack.run_dir / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
        print(text)
    return 0
