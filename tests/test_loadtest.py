"""Pieces of the load harness (``python -m loadtest``): the burst's report reads when the last
chunk of monthly statements was sent from the member worker's log, as the portal's JSON
formatter writes it, and waits for the members actually opted in; a Locust it starts is
stopped with the stack; the members' sessions are renewed in runs longer than the idle timeout."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from loadtest import steps
from loadtest.member_sessions import Sessions
from loadtest.scenarios import (
    _enqueue_seconds,
    alternated_ratios,
    best,
    cpu_per_request,
    opted_in,
    scenario_members,
)
from loadtest.stack import SESSION_RENEW_SECONDS, Stack
from loadtest.steps import Step
from portal.logging import JsonFormatter


def _log_line(message: str, logger: str = "celery.app.trace") -> str:
    record = logging.LogRecord(logger, logging.INFO, __file__, 1, message, None, None)
    return JsonFormatter().format(record)


def test_seconds_from_the_start_to_the_last_chunk(tmp_path):
    started_at = time.time() - 42
    task = "Task billing.documents.tasks.monthly_statements_queue[{}] succeeded in 0.2s: {}"
    (tmp_path / "worker-members.log").write_text(
        "[2026-12-01 00:00:00,000: WARNING/MainProcess] celery@host ready.\n"
        + _log_line(task.format("a", 500)) + "\n"
        + _log_line("Task billing.documents.tasks.monthly_statements_queue[b] received", "celery.worker.strategy") + "\n"
        + _log_line(task.format("b", 212)) + "\n",
        encoding="utf-8",
    )
    seconds = _enqueue_seconds(SimpleNamespace(run_dir=tmp_path), started_at)
    assert seconds is not None and 41 <= seconds <= 44


def test_not_logged_is_none(tmp_path):
    (tmp_path / "worker-members.log").write_text(_log_line("something else") + "\n", encoding="utf-8")
    assert _enqueue_seconds(SimpleNamespace(run_dir=tmp_path), time.time()) is None
    assert _enqueue_seconds(SimpleNamespace(run_dir=tmp_path / "missing"), time.time()) is None


def test_the_burst_waits_for_the_members_actually_opted_in():
    # 20,000 asked for, but only members who paid by card that month get a statement.
    printed = "12,345 members want the monthly statement by e-mail (those who paid by card that month)\n"
    assert opted_in(printed) == 12345
    with pytest.raises(RuntimeError, match="did not say"):
        opted_in("nothing\n")


def test_a_locust_started_is_stopped_with_the_stack(tmp_path, monkeypatch):
    started = []
    monkeypatch.setattr(steps.subprocess, "Popen", lambda command, **kwargs: started.append(command) or "locust")
    stack = SimpleNamespace(run_dir=tmp_path, host="http://127.0.0.1:1", processes={},
                            args=SimpleNamespace(sign_ins_per_minute=12), sign_in_subs=lambda: "")
    steps.Locust(stack, tmp_path / "sessions.jsonl").start("burst-members", 8, 600, ["SignedInMember"])
    assert started and stack.processes == {"locust-burst-members": "locust"}  # Stack.down() stops them all


def _write_sessions(path, *names):
    path.write_text("".join(f'{{"cookie": "sessionid", "session": "{name}"}}\n' for name in names), encoding="utf-8")


def test_the_members_take_renewed_sessions_when_the_file_is_replaced(tmp_path):
    path = tmp_path / "sessions.jsonl"
    _write_sessions(path, "a", "b")
    sessions = Sessions(str(path))
    assert {sessions.next()["session"] for _ in range(4)} == {"a", "b"}
    fresh = tmp_path / "sessions.jsonl.new"
    _write_sessions(fresh, "c", "d")
    os.utime(fresh, ns=(path.stat().st_mtime_ns + 10**9,) * 2)
    os.replace(fresh, path)
    assert {sessions.next()["session"] for _ in range(4)} == {"c", "d"}


def test_no_sessions_is_a_clear_error(tmp_path):
    with pytest.raises(RuntimeError, match="load_prepare --sessions"):
        Sessions("").next()


def test_renewing_sessions_replaces_the_file_whole(tmp_path):
    written = []

    def manage(*command):
        output = Path(command[command.index("--output") + 1])
        assert output != tmp_path / "sessions.jsonl"  # never the file Locust reads, half written
        _write_sessions(output, f"s{len(written)}")
        written.append(output)

    stack = SimpleNamespace(run_dir=tmp_path, args=SimpleNamespace(sessions=1), manage=manage)
    path = tmp_path / "sessions.jsonl"
    Stack.renew_sessions(stack, path)
    Stack.renew_sessions(stack, path)
    assert path.read_text(encoding="utf-8") == '{"cookie": "sessionid", "session": "s1"}\n'
    assert not written[-1].exists()


def test_sessions_are_renewed_before_the_portal_ends_them_for_idling(settings):
    # With the slide once a minute (accounts/sessions.py), a session may end a minute early.
    assert SESSION_RENEW_SECONDS <= settings.SESSION_IDLE_SECONDS - 120


def _step(users: int, rps: float, p95: float = 50, failures: int = 0) -> Step:
    cpu = {"database": 0.1, "web": 1.0, "worker-members": 0.0, "worker-documents": 0.0, "redis": 0.0}
    return Step(users=users, rps=rps, failures=failures, requests=100, p50=10, p95=p95, p99=p95, cpu=cpu)


def test_each_member_measure_is_taken_at_its_best_step_within_the_limits():
    """The mix, the bare view, マイページ alone and the bare view signed in are each stepped up the
    same way and taken where they serve most with p95 ≤ 250 ms and no error."""
    figures = {
        "mix": [_step(2, 40), _step(4, 60), _step(8, 70, p95=300)],
        "baseline": [_step(2, 300), _step(4, 500), _step(8, 480)],
        "home": [_step(2, 150), _step(4, 210), _step(8, 260, failures=1)],
        "baseline-signed-in": [_step(2, 200), _step(4, 350), _step(8, 300)],
    }
    asked = []

    def run(name, users, seconds, classes):
        kind = name.rsplit("-", 1)[0]
        asked.append((kind, users, tuple(classes)))
        return figures[kind].pop(0)

    stack = SimpleNamespace(args=SimpleNamespace(warmup=1, steps=[2, 4, 8], duration=1, sign_ins_per_minute=12,
                                                 pairs=0))
    figures["warmup"] = [_step(2, 1)]
    report: list[str] = []
    summary = scenario_members(stack, SimpleNamespace(run=run), report)

    assert [kind for kind, _users, _classes in asked].count("home") == 3
    assert ("baseline-signed-in", 2, ("BaselineSignedIn",)) in asked
    assert summary == {"mix_rps": 60, "baseline_rps": 500, "ratio": 0.12, "home_rps": 210,
                       "baseline_signed_in_rps": 350}
    text = "\n".join(report)
    assert "**12%** of the bare view's throughput" in text and "**42%** of the bare view" in text
    assert "against it: the mix 17%, マイページ 60%" in text
    assert best([_step(2, 10, failures=1)]) is None


def test_the_report_splits_each_requests_cpu_by_process_and_what_the_machine_spent_beyond_them():
    step = _step(4, 200)
    step.cpu.update({"beat": 0.0, "locust": 0.4, "host": 2.0})
    lines = cpu_per_request({"mix": step, "home": None, "baseline": _step(2, 100)})

    rows = [line for line in lines if line.startswith("| mix")]
    # database 0.1 s/s and web 1.0 s/s at 200 req/s: 0.5 and 5 ms; Locust 2 ms; the machine 10 ms,
    # of which 2.5 ms no process of the stack or Locust accounts for.
    assert rows == ["| mix | 0.50 | 5.00 | 0.00 | 0.00 | 0.00 | 0.00 | 2.00 | 2.50 | 10.00 |"]
    # A step measured without the machine's CPU (an older run) or not reached is left out.
    assert not [line for line in lines if line.startswith(("| home", "| baseline"))]


def test_the_machines_busy_cpu_only_grows_and_the_childrens_counts_locust_once_it_is_waited_for():
    first = steps.host_busy_cpu()
    children = steps.reaped_children_cpu()
    sum(range(2_000_000))
    subprocess.run([sys.executable, "-c", "sum(range(3_000_000))"], check=True)
    assert steps.host_busy_cpu() > first
    assert steps.reaped_children_cpu() > children


def test_the_bare_view_and_my_page_are_asked_for_alternately_at_their_best_steps_and_the_median_reported():
    figures = {"baseline": [_step(8, 500), _step(8, 400), _step(8, 500)],
               "home": [_step(4, 240), _step(4, 210), _step(4, 300, failures=1)]}
    asked = []

    def run(name, users, seconds, classes):
        kind = name.split("-")[1]
        asked.append((name, users, tuple(classes)))
        return figures[kind].pop(0)

    report: list[str] = []
    args = SimpleNamespace(pairs=3, duration=1)
    ratios = alternated_ratios(SimpleNamespace(run=run), _step(8, 510), _step(4, 230), args, report)

    assert [name for name, _users, _classes in asked] == [
        "pair0-baseline-8", "pair0-home-4", "pair1-baseline-8", "pair1-home-4", "pair2-baseline-8", "pair2-home-4"]
    assert ratios == [0.48, 0.525]  # the third pair had a failure: left out
    assert report == ["マイページ against the bare view, asked for alternately at their best steps 3 times: "
                      "48%, 52%; **median 50%** (target ≥ 50 %)."]
