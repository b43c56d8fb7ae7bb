"""The whole stack when a piece fails (issue 16, "Faults during load"): gunicorn with the
repository's gunicorn.conf.py, a Redis and (for the restart) a PostgreSQL cluster of the test's
own, Celery workers as processes. Short and bounded versions of ``make load``'s ``redis``,
``postgres`` and ``kill`` scenarios. The machine's shared PostgreSQL and Redis are never
stopped: only servers these tests start.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psutil
import pytest
import requests

from billing.tests.test_document_reliability import Portal, database_url, portal, redis  # noqa: F401
from loadtest.services import PostgresCluster, free_port, kill_group, wait_until

pytestmark = pytest.mark.reliability

ROOT = Path(__file__).resolve().parents[2]
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def drive(site: Portal, *command: str, **env: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "portal.tests.stack_driver", *command], cwd=ROOT,
                          env={**site.env, **env}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"driver {command} failed:\n{done.stderr[-4000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


class Web:
    """gunicorn -c gunicorn.conf.py on a free port, with the test's environment."""

    def __init__(self, site: Portal, **env: str) -> None:
        self.port = free_port()
        self.log = (site.directory / "web.log").open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"], cwd=ROOT,
            env={**site.env, "GUNICORN_BIND": f"127.0.0.1:{self.port}", "WEB_CONCURRENCY": "1",
                 "DATABASE_CONN_MAX_AGE": "60", "DEBUG": "false", **env},
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        wait_until(lambda: self.status("/healthz") in (200, 503), seconds=60, what="gunicorn")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def status(self, path: str, browser: requests.Session | None = None) -> int:
        try:
            return (browser or requests).get(self.url + path, timeout=5, allow_redirects=False).status_code
        except requests.RequestException:
            return 0

    def stop(self) -> None:
        kill_group(self.process)
        self.log.close()


def last_month() -> str:
    today = datetime.now(ZoneInfo("Asia/Tokyo")).date()
    return f"{today.replace(day=1) - timedelta(days=1):%Y-%m}"


def web_workers(web: Web) -> list[int]:
    return sorted(child.pid for child in psutil.Process(web.process.pid).children())


def signed_in(site: Portal, web: Web, member: int, **env: str) -> requests.Session:
    made = drive(site, "session", str(member), **env)
    browser = requests.Session()
    browser.cookies.set(made["cookie"], made["session"], domain="127.0.0.1")
    return browser


def test_redis_stopped_member_pages_answer_sessions_survive_and_documents_are_made_when_it_is_back(portal, redis):  # noqa: F811 (the fixtures imported above)
    # Redis is the cache, the sessions' cache and the broker here, as in production.
    everything = {"REDIS_URL": redis.url}
    (member,) = drive(portal, "members", "1")["members"]
    web = Web(portal, **everything)
    try:
        browser = signed_in(portal, web, member, **everything)
        assert web.status("/", browser) == 200

        redis.stop()
        for path in ("/", "/history/", "/points/", "/documents/", "/payment-methods/"):
            assert web.status(path, browser) == 200, path  # the session read from the database
        page = browser.get(web.url + "/documents/", timeout=10)
        token = CSRF.search(page.text).group(1)
        asked = browser.post(web.url + "/documents/request/", timeout=10, allow_redirects=False,
                             data={"csrfmiddlewaretoken": token, "mode": "month",
                                   "month": last_month()})
        assert asked.status_code == 302  # kept, and the member is told it will be made

        redis.start()
        assert web.status("/", browser) == 200  # the same session, Redis back
        (document,) = drive(portal, "documents")["documents"]
        assert document["status"] == "pending"
        assert portal.run("requeue") == {"sent": 1}  # what beat does every 5 minutes
        portal.start_worker("worker")
        done = wait_until(lambda: (s := portal.run("status", str(document["id"])))["emailed"] and s, seconds=90,
                          what="the kept request to be made")
        assert (done["status"], done["attempts"]) == ("ready", 1)
        assert len(portal.emails()) == 1
    finally:
        web.stop()


def test_postgresql_restarted_the_portal_answers_again_within_10_s_without_a_restart(portal):  # noqa: F811 (the fixtures imported above)
    # Not under pytest's tmp_path: the postgres user must reach the cluster's folder.
    cluster = PostgresCluster(Path(tempfile.mkdtemp(prefix="portal-pg-", dir="/tmp")))
    cluster.start()
    try:
        cluster.create_database("portal")
        url = cluster.url("portal")
        done = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT,
                              env={**portal.env, "DATABASE_URL": url}, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        (member,) = drive(portal, "members", "1", DATABASE_URL=url)["members"]
        web = Web(portal, DATABASE_URL=url)
        try:
            browser = signed_in(portal, web, member, DATABASE_URL=url)
            for _ in range(5):  # the worker's connection is open and kept (CONN_MAX_AGE)
                assert web.status("/", browser) == 200
            workers = web_workers(web)
            cluster.restart()
            back = time.monotonic()
            statuses = []
            while time.monotonic() - back < 10:
                statuses.append(web.status("/", browser))
                if statuses[-1] == 200:
                    break
                time.sleep(0.2)
            assert statuses[-1] == 200, f"not answering 10 s after PostgreSQL was back: {statuses}"
            assert [web.status("/", browser) for _ in range(10)] == [200] * 10  # and stays so
            assert web_workers(web) == workers  # the same worker: nothing was restarted
        finally:
            web.stop()
    finally:
        cluster.remove()


def test_a_documents_worker_killed_during_the_monthly_burst_every_statement_made_and_emailed_once(portal):  # noqa: F811 (the fixtures imported above)
    members = drive(portal, "members", "6")["members"]
    first = portal.start_worker("documents-1", DOCUMENT_TEST_RENDER_DELAY="2")
    drive(portal, "burst")
    wait_until(lambda: drive(portal, "monthly")["ready"] >= 1, seconds=120, what="the first statement")
    portal.kill(first)  # SIGKILL, pool processes too: its message in hand is not acknowledged
    portal.start_worker("documents-2")
    try:
        wait_until(lambda: (s := drive(portal, "monthly"))["emailed"] == s["ready"] == len(s["per_member"])
                   and all(str(m) in s["per_member"] for m in members), seconds=180, what="every statement e-mailed")
    except TimeoutError as error:
        raise AssertionError(f"{error}\n{drive(portal, 'monthly')}\n{portal.worker_logs()}") from None
    time.sleep(3)  # a late duplicate would show now
    state = drive(portal, "monthly")  # the module's database: members of the other tests want it too
    assert set(state["per_member"].values()) == {1}
    assert all(state["per_member"][str(m)] == 1 for m in members)
    assert len(portal.emails()) == len(state["per_member"]) == len(portal.stored_pdfs())
