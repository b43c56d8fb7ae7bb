"""The signed-in sessions the Locust members use (``load_prepare --sessions`` writes them),
without Locust, so the harness's tests can use it."""

from __future__ import annotations

import itertools
import json
import os
import random


class Sessions:
    """The signed-in sessions ``load_prepare --sessions`` wrote (``LOAD_SESSIONS``), read again
    whenever the file changes: a run longer than the portal's 30-minute idle timeout (the
    monthly burst) has its sessions renewed by the harness (``Stack.renew_sessions``), which
    replaces the file whole, and the next visit takes a fresh one."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.stamp: float | None = None
        self.items: list[dict] = []
        self.reload()
        # Each run (one Locust process per step) starts somewhere else in the list, so the steps
        # of a run do not all fall on the first few members (whose per-member limits, e.g. 30
        # CSVs an hour, they would reach together).
        self.position = itertools.count(random.randrange(len(self.items)) if self.items else 0)

    def reload(self) -> None:
        if not self.path:
            return
        stamp = os.stat(self.path).st_mtime_ns
        if stamp != self.stamp:
            with open(self.path, encoding="utf-8") as stream:
                self.items = [json.loads(line) for line in stream if line.strip()]
            self.stamp = stamp

    def next(self) -> dict:
        if not self.items:
            raise RuntimeError("LOAD_SESSIONS names no sessions (manage.py load_prepare --sessions N --output FILE)")
        self.reload()
        return self.items[next(self.position) % len(self.items)]
