"""One step of load: a headless Locust run with fixed users for a fixed time against the
stack (loadtest/locustfile.py), and what it measured (:class:`Step`, read back from the CSV
Locust writes, with the CPU each process of the stack spent meanwhile)."""

from __future__ import annotations

import csv
import json
import os
import resource
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from loadtest.stack import PY, ROOT, Stack

P95_LIMIT_MS = 250


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
        process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdout=logfile,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        # Stopped with the stack too: an interrupted run leaves no Locust loading a port for hours.
        self.stack.processes[f"locust-{name}"] = process
        return process

    def run(self, name: str, users: int, seconds: int, classes: list[str], wait: str = "0") -> Step:
        before = {**self.stack.cpu(), "locust": reaped_children_cpu(), "host": host_busy_cpu()}
        started = time.monotonic()
        process = self.start(name, users, seconds, classes, wait)
        process.wait(timeout=seconds + 120)
        elapsed = time.monotonic() - started
        after = {**self.stack.cpu(), "locust": reaped_children_cpu(), "host": host_busy_cpu()}
        step = read_stats(self.stack.run_dir / f"{name}_stats.csv", users)
        step.seconds = elapsed
        step.cpu = {k: (after[k] - before.get(k, 0.0)) / max(elapsed, 1) for k in after}
        (self.stack.run_dir / f"{name}_cpu.json").write_text(json.dumps({"before": before, "after": after,
                                                                         "seconds": elapsed}))
        return step


def reaped_children_cpu() -> float:
    """User + system CPU seconds of this process's children that have ended and been waited
    for: a step's Locust, once ``run`` has waited for it (no other child ends during a step)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def host_busy_cpu() -> float:
    """CPU seconds the whole machine has been busy since it started (all cores: user, nice,
    system, irq and softirq; not idle, not waiting for a disk, not stolen by the hypervisor),
    from /proc/stat: what no process of the stack accounts for shows as the difference (the
    kernel's network work, anything else running)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq = fields[:7]
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


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
