"""The scenarios of a load run (``--scenarios``), each run against the stack and writing its
section of the report: ``members`` (the mix at rising concurrency, then the bare view at the
same steps), ``burst`` (the monthly statements under member load; ``kill``: with a documents
worker SIGKILLed midway), ``redis`` (Redis stopped during member load), ``postgres``
(PostgreSQL restarted during member load)."""

from __future__ import annotations

import contextlib
import json
import re
import signal
import statistics
import subprocess
import threading
import time
from datetime import date, datetime
from pathlib import Path

from loadtest.services import kill_group, tree_rss_bytes, wait_until
from loadtest.stack import PY, ROOT, SESSION_RENEW_SECONDS, Stack, log
from loadtest.steps import P95_LIMIT_MS, Locust, Step, read_stats

MIX = ["SignedInMember", "SignInMember"]


#: What the members scenario measures, each at the same rising concurrency: the mix, the bare
#: view (the yardstick), マイページ alone, and the bare view for a signed-in member (how much of
#: a page's cost is a member's request cycle rather than the page).
MEMBER_STEPS = (
    ("mix", MIX),
    ("baseline", ["Baseline"]),
    ("home", ["HomeOnly"]),
    ("baseline-signed-in", ["BaselineSignedIn"]),
)


#: The stack's own processes, as ``Stack.cpu`` names them, then Locust (``Locust.run``).
CPU_PARTS = ("database", "web", "worker-members", "worker-documents", "beat", "redis", "locust")


def cpu_per_request(found: dict[str, Step | None]) -> list[str]:
    """Where each request's CPU went, at each kind's best step: milliseconds of CPU (all cores)
    per request by process, and what the whole machine spent beyond them (the kernel's
    loopback networking, other processes)."""
    lines = ["CPU per request at each best step, ms (CPU seconds a second ÷ requests a second):\n",
             "| what | " + " | ".join(CPU_PARTS) + " | the rest | the machine |",
             "|---|" + "---:|" * (len(CPU_PARTS) + 2)]
    for kind, step in found.items():
        if step is None or not step.rps or "host" not in step.cpu:
            continue
        parts = [step.cpu.get(part, 0.0) * 1000 / step.rps for part in CPU_PARTS]
        machine = step.cpu["host"] * 1000 / step.rps
        lines.append(f"| {kind} | " + " | ".join(f"{value:.2f}" for value in parts)
                     + f" | {machine - sum(parts):.2f} | {machine:.2f} |")
    lines.append("")
    return lines


def best(steps: list[Step]) -> Step | None:
    """The highest throughput among the steps with p95 ≤ P95_LIMIT_MS and no error."""
    return max((step for step in steps if step.ok), key=lambda step: step.rps, default=None)


def scenario_members(stack: Stack, locust: Locust, report: list[str]) -> dict:
    args = stack.args
    log(f"warm-up: {args.warmup} s of the mix")
    locust.run("warmup", 2, args.warmup, MIX)
    results: dict[str, list[Step]] = {kind: [] for kind, _classes in MEMBER_STEPS}
    for kind, classes in MEMBER_STEPS:
        for users in args.steps:
            step = locust.run(f"{kind}-{users}", users, args.duration, classes)
            results[kind].append(step)
            log(f"{kind} {users:>3} users: {step.rps:7.1f} req/s, p50 {step.p50:.0f} ms, p95 {step.p95:.0f} ms, "
                f"p99 {step.p99:.0f} ms, {step.failures} failures; CPU/s db {step.cpu['database']:.2f} "
                f"web {step.cpu['web']:.2f} workers {step.cpu['worker-members'] + step.cpu['worker-documents']:.2f}")
            if step.failures or step.p95 > 4 * P95_LIMIT_MS:
                break
    found = {kind: best(steps) for kind, steps in results.items()}
    best_mix, best_base, best_home, best_signed = (found[kind] for kind, _classes in MEMBER_STEPS)
    report.append("## Members: the mix at rising concurrency, the bare view, マイページ alone\n")
    report.append("No think time (each Locust user asks again as soon as it has its answer): the step's "
                  "throughput is what the stack serves at that concurrency; each is taken at its best step "
                  f"with p95 ≤ {P95_LIMIT_MS} ms and no error. One of the mix's users signs in "
                  f"through the local WESTER ID ({args.sign_ins_per_minute:g} a minute); the others are signed in. "
                  "The bare view is asked for without a session (the yardstick) and, for comparison, by "
                  "signed-in members.\n")
    report.append("| what | users | req/s | p50 ms | p95 ms | p99 ms | failures | CPU s/s: database | web | "
                  "workers | redis |")
    report.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for kind, _classes in MEMBER_STEPS:
        for s in results[kind]:
            report.append(f"| {kind} | {s.users} | {s.rps:.1f} | {s.p50:.0f} | {s.p95:.0f} | {s.p99:.0f} | {s.failures} "
                          f"| {s.cpu['database']:.2f} | {s.cpu['web']:.2f} | "
                          f"{s.cpu['worker-members'] + s.cpu['worker-documents']:.2f} | {s.cpu['redis']:.2f} |")
    report.append("")
    report.extend(cpu_per_request(found))
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
        if best_mix:
            summary["ratio"] = best_mix.rps / best_base.rps
            report.append(f"\nThe mix reaches **{summary['ratio']:.0%}** of the bare view's throughput (target ≥ 40 %).")
        if best_home:
            summary["home_rps"] = best_home.rps
            report.append(f"マイページ alone: {best_home.rps:.1f} requests/s ({best_home.users} users, p95 "
                          f"{best_home.p95:.0f} ms): **{best_home.rps / best_base.rps:.0%}** of the bare view "
                          "(target ≥ 50 %).")
    if best_signed:
        summary["baseline_signed_in_rps"] = best_signed.rps
        shares = ", ".join(
            f"{name} {step.rps / best_signed.rps:.0%}" for name, step in (("the mix", best_mix), ("マイページ", best_home))
            if step
        )
        report.append(f"The bare view for signed-in members: {best_signed.rps:.1f} requests/s "
                      f"({best_signed.users} users); against it: {shares}.")
    if home:
        report.append(f"(マイページ inside the mix: p95 {home['p95']:.0f} ms.)")
    if best_base and best_home and args.pairs:
        summary["home_ratios"] = alternated_ratios(locust, best_base, best_home, args, report)
    report.append("")
    return summary


def alternated_ratios(locust: Locust, base: Step, home: Step, args, report: list[str]) -> list[float]:
    """マイページ against the bare view, asked for alternately at their best steps ``args.pairs``
    times (``LOAD_PAIRS``): a ratio a few points from its target is not settled by one step of
    each, as the host's speed drifts from minute to minute. Each pair's ratio, then their median."""
    ratios = []
    for pair in range(args.pairs):
        bare = locust.run(f"pair{pair}-baseline-{base.users}", base.users, args.duration, ["Baseline"])
        page = locust.run(f"pair{pair}-home-{home.users}", home.users, args.duration, ["HomeOnly"])
        if bare.ok and page.ok:
            ratios.append(page.rps / bare.rps)
        log(f"pair {pair + 1}: bare view {bare.rps:.1f}, マイページ {page.rps:.1f} requests/s")
    if ratios:
        shown = ", ".join(f"{ratio:.0%}" for ratio in ratios)
        report.append(f"マイページ against the bare view, asked for alternately at their best steps "
                      f"{args.pairs} times: {shown}; **median {statistics.median(ratios):.0%}** (target ≥ 50 %).")
    return ratios


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
    title = "Monthly statements, a documents worker SIGKILLed midway" if kill else "The 1st of the month"
    prepared = stack.manage("load_prepare", "--opt-in", str(args.burst_members), "--monthly", f"{period:%Y-%m}")
    count = opted_in(prepared)
    log(f"{title}: {count:,} members opted in for {period:%Y-%m} (of {args.burst_members:,} asked for: "
        "only members who paid by card that month get a statement)")
    mail_dir = stack.run_dir / "mail"
    emails_before = count_emails(mail_dir) if mail_dir.exists() else 0
    # Fresh sessions now and every SESSION_RENEW_SECONDS: the burst outlasts the idle timeout.
    stack.renew_sessions(locust.sessions)
    load = locust.start(f"{'kill' if kill else 'burst'}-members", args.burst_users, args.burst_minutes * 60 + 600,
                        MIX, wait=args.burst_wait)
    time.sleep(5)
    started = time.monotonic()
    started_at = time.time()
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
    renewed = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(2)
        if time.monotonic() - renewed >= SESSION_RENEW_SECONDS:
            stack.renew_sessions(locust.sessions)
            renewed = time.monotonic()
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
    enqueued = _enqueue_seconds(stack, started_at)
    report.append("- Enqueuing, in chunks (DOCUMENT_MONTHLY_CHUNK) that wait while the documents queue is full "
                  "(DOCUMENT_MONTHLY_QUEUE_LIMIT): the last chunk sent "
                  + (f"{enqueued:.0f} s after the start." if enqueued is not None else "(not seen in worker-members.log)."))
    if killed_at is not None:
        report.append(f"- The documents worker was SIGKILLed {killed_at:.0f} s in and started again 3 s later.")
    report.append(f"- Member pages meanwhile: {step.rps:.1f} req/s, p50 {step.p50:.0f} ms, p95 {step.p95:.0f} ms, "
                  f"p99 {step.p99:.0f} ms, {step.failures} failures of {step.requests}.")
    report.append("")
    return {"per_minute": per_minute, "p95": step.p95, "duplicates": duplicates, "emails": emails,
            "ready": state["ready"], "count": count}


def opted_in(prepared: str) -> int:
    """The members ``load_prepare --opt-in`` opted in, from what it printed."""
    found = re.search(r"^([\d,]+) members want the monthly statement", prepared, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"load_prepare did not say how many members it opted in: {prepared[-500:]}")
    return int(found.group(1).replace(",", ""))


def _duplicate_monthly(stack: Stack, period: date) -> int:
    import psycopg

    with psycopg.connect(stack.pg.url(stack.database)) as connection:
        return connection.execute(
            "SELECT count(*) FROM (SELECT member_id FROM billing_document WHERE origin = 'monthly' "
            "AND period_start = %s GROUP BY member_id HAVING count(*) > 1) AS twice", (period,)
        ).fetchone()[0]


def _enqueue_seconds(stack: Stack, started_at: float) -> float | None:
    """Seconds from the burst's start (``time.time()``) to the end of the last run of
    ``monthly_statements_queue`` in the member worker's log (Celery's own line for each task
    that succeeded, written at any log level the portal runs with), or None if none ran."""
    path = stack.run_dir / "worker-members.log"
    last = None
    with contextlib.suppress(OSError):
        for line in path.read_text(errors="replace").splitlines():
            if "monthly_statements_queue[" not in line or "succeeded" not in line:
                continue
            with contextlib.suppress(ValueError, KeyError, TypeError):
                last = datetime.fromisoformat(json.loads(line[line.index("{"):])["time"]).timestamp()
    return None if last is None else last - started_at


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
