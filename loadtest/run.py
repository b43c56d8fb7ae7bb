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

The stack is in loadtest/stack.py (the PostgreSQL cluster and redis-server themselves in
loadtest/services.py), one Locust step in loadtest/steps.py, the scenarios in
loadtest/scenarios.py, the report in loadtest/report.py; this module reads the options and
runs the scenarios in order.
"""

from __future__ import annotations

import argparse
import os
import signal

from loadtest.report import report_closing, report_heading, report_setting, report_write
from loadtest.scenarios import scenario_burst, scenario_members, scenario_postgres, scenario_redis
from loadtest.stack import Stack
from loadtest.steps import Locust


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
    parser.add_argument("--pairs", type=int, default=int(env("LOAD_PAIRS", "3")),
                        help="the bare view and マイページ asked for alternately this many times")
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
    report = report_heading()
    results: dict = {}
    try:
        stack.database_up()
        stack.seed()
        stack.services_up()
        sessions = stack.sessions()
        locust = Locust(stack, sessions)
        report.extend(report_setting(stack, scenarios))
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
        report.append(report_closing(stack))
    finally:
        stack.down()
        print(report_write(stack, report, results))
    return 0
