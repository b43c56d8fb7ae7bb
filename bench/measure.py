"""Timing and query counting for benchmarks (Django must be set up).

A benchmark describes one iteration as a function of a ``timer``; each
``with timer("label"):`` block around a ``client.get``/``client.post`` becomes
one row of the results::

    def iteration(timer):
        with timer("GET /"):
            response = client.get("/")
        expect(response, 200)

    return measure(iteration, samples=samples, warmup=warmup)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager

from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.runner import SERVER, Measurement

QUERY_SAMPLES = 5


class BenchmarkFailed(RuntimeError):
    pass


class Timer:
    """Records the blocks of one benchmark: nothing while warming up,
    milliseconds while timing, query counts while counting."""

    def __init__(self) -> None:
        self.mode = "warmup"
        self.clocks: dict[str, str] = {}  # label → clock, in the order first seen
        self.ms: dict[str, list[float]] = {}
        self.queries: dict[str, list[int]] = {}

    @contextmanager
    def __call__(self, label: str, *, clock: str = SERVER) -> Iterator[None]:
        self.clocks.setdefault(label, clock)
        if self.mode == "time":
            started = time.perf_counter_ns()
            yield
            self.ms.setdefault(label, []).append((time.perf_counter_ns() - started) / 1e6)
        elif self.mode == "queries":
            with CaptureQueriesContext(connection) as captured:
                yield
            self.queries.setdefault(label, []).append(len(captured))
        else:
            yield

    def measurement(self, label: str) -> Measurement:
        return Measurement(
            label, ms=self.ms.get(label, []), queries=self.queries.get(label, []), clock=self.clocks[label]
        )

    def total(self, label: str, parts: Sequence[str]) -> Measurement:
        """Per sample, the sum of several blocks (say, the portal's share of
        a round trip that also waits for another server)."""
        return Measurement(
            label,
            ms=[sum(values) for values in zip(*(self.ms.get(p, []) for p in parts), strict=True)],
            queries=[sum(values) for values in zip(*(self.queries.get(p, []) for p in parts), strict=True)],
            clock=SERVER,
        )


def measure(
    iteration: Callable[[Timer], object],
    *,
    samples: int,
    warmup: int,
    query_samples: int = QUERY_SAMPLES,
    totals: Mapping[str, Sequence[str]] | None = None,
) -> list[Measurement]:
    """Run ``iteration(timer)`` ``warmup`` times unrecorded, ``samples`` times
    timed, then ``query_samples`` times counting queries.

    The rows: the server-clock blocks in the order first seen, then each of
    ``totals`` (label → the blocks it adds up, sample by sample), then the
    wall-clock blocks."""
    timer = Timer()
    for mode, runs in (("warmup", warmup), ("time", samples), ("queries", query_samples)):
        timer.mode = mode
        for _ in range(runs):
            iteration(timer)
    labels = list(timer.clocks)
    return [
        *(timer.measurement(label) for label in labels if timer.clocks[label] == SERVER),
        *(timer.total(label, parts) for label, parts in (totals or {}).items()),
        *(timer.measurement(label) for label in labels if timer.clocks[label] != SERVER),
    ]


def expect(response, status: int, *, location: str | None = None, contains: str | None = None) -> None:
    """Stop the benchmark when a page does not answer as it should: a fast
    error page is not a figure."""
    problem = None
    if response.status_code != status:
        problem = f"status {response.status_code}, expected {status}"
    elif location is not None and response.get("Location") != location:
        problem = f"redirect to {response.get('Location')!r}, expected {location!r}"
    elif contains is not None and contains not in response.content.decode():
        problem = f"the page does not contain {contains!r}"
    if problem:
        path = response.request.get("PATH_INFO", "?") if hasattr(response, "request") else "?"
        raise BenchmarkFailed(f"{path}: {problem}")
