"""The report of a load run: its heading, the run's setting and how to run it again, the
closing line, and where it is written (``var/load/run-<time>/report.md``, a copy as
``var/load/report-<time>.md``, and the figures as ``results.json``). Each scenario writes its
own section (loadtest/scenarios.py)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

from loadtest.stack import ROOT, Stack


def report_heading() -> list[str]:
    return [f"# make load, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n"]


def report_setting(stack: Stack, scenarios: list[str]) -> list[str]:
    args = stack.args
    load_before = os.getloadavg()[0]
    return [
        f"- {stack.seeded_members():,} members seeded; {args.web_workers} gunicorn workers; "
        f"{args.document_workers} documents worker processes; {os.cpu_count()} cores; "
        f"load average {load_before:.2f} at the start; Locust on the same machine.",
        f"- Re-run: `make load LOAD_MEMBERS={args.members} LOAD_SCENARIOS={','.join(scenarios)} "
        f"LOAD_DURATION={args.duration} LOAD_STEPS={','.join(map(str, args.steps))}`\n",
    ]


def report_closing(stack: Stack) -> str:
    return (f"Load average at the end: {os.getloadavg()[0]:.2f}. Logs and Locust's CSV: "
            f"{stack.run_dir.relative_to(ROOT)}/")


def report_write(stack: Stack, report: list[str], results: dict) -> str:
    text = "\n".join(report) + "\n"
    (stack.run_dir / "report.md").write_text(text, encoding="utf-8")
    (stack.base / f"report-{stack.run_dir.name[4:]}.md").write_text(text, encoding="utf-8")
    (stack.run_dir / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    return text
