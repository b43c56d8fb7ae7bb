"""The benchmark registry, the figures and the two outputs (a table on
standard output and docs/performance.md). Django-free, so it is tested
without a database; the Django side lives in ``bench.measure``.

A benchmark is a function registered with ``@benchmark(name, group=..., targets=...)``.
It is called as ``function(samples=..., warmup=...)`` and returns a list of
``Measurement`` (one per thing it timed: a request, a sum of requests, a
wall-clock round trip). Its ``targets`` (``Target``) are what it must reach:
``python -m bench --check`` exits 1 when one is missed, and the page shows each one
met or missed.
"""

from __future__ import annotations

import math
import os
import re
import statistics
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

MARKER = "<!-- bench:results -->"
_MARKER_LINE = re.compile(r"^" + re.escape(MARKER) + r"[ \t]*$", re.MULTILINE)

DEFAULT_HEAD = """\
# Performance

What a request costs the portal, measured by `make bench` (the package `bench/`).
Notes written by hand go above the marker line below; everything under it is
rewritten by each run.

"""

SERVER = "server"
WALL = "wall"


@dataclass(frozen=True)
class Measurement:
    """One timed thing: its samples in milliseconds and the database queries
    counted for it (one count per counted request or group of requests)."""

    label: str
    ms: Sequence[float]
    queries: Sequence[int] = ()
    clock: str = SERVER  # SERVER: inside Django's request handling; WALL: the whole round trip

    @property
    def samples(self) -> int:
        return len(self.ms)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.ms)

    @property
    def p95_ms(self) -> float:
        """Nearest rank: the smallest sample that is at least 95 % of them."""
        ordered = sorted(self.ms)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]

    @property
    def queries_text(self) -> str:
        if not self.queries:
            return "–"
        low, high = min(self.queries), max(self.queries)
        return str(low) if low == high else f"{low}–{high}"


@dataclass(frozen=True)
class Target:
    """What the measurements whose label starts with ``label`` must reach (each of them): their
    ``statistic`` (``median`` or ``p95``) at most ``at_most_ms``, or at most ``times`` the same
    statistic of the measurement whose label starts with ``of``."""

    label: str
    statistic: str = "median"
    at_most_ms: float | None = None
    times: float | None = None
    of: str = ""

    def __post_init__(self) -> None:
        if self.statistic not in ("median", "p95"):
            raise ValueError(f"statistic must be median or p95, not {self.statistic!r}")
        if (self.at_most_ms is None) == (self.times is None) or (self.times is not None) != bool(self.of):
            raise ValueError("a target is either at_most_ms, or times with of")

    @property
    def text(self) -> str:
        if self.at_most_ms is not None:
            return f"{self.label}: {self.statistic} ≤ {_ms(self.at_most_ms)} ms"
        return f"{self.label}: {self.statistic} ≤ {self.times:g} × {self.of}"


@dataclass(frozen=True)
class Verdict:
    target: Target
    met: bool
    found: str  # what was measured, in words ("412 ms", "0.66 ×", "not measured")


def _value(measurements: Sequence[Measurement], label: str, statistic: str) -> float | None:
    """The worst ``statistic`` of the measurements whose label starts with ``label``."""
    values = [m.median_ms if statistic == "median" else m.p95_ms for m in measurements if m.label.startswith(label) and m.ms]
    return max(values) if values else None


def verdicts(results: Sequence[Result]) -> list[Verdict]:
    """Each target of the benchmarks that ran, met or missed (not measured: missed)."""
    found = []
    for result in results:
        for target in result.benchmark.targets:
            value = _value(result.measurements, target.label, target.statistic)
            if target.at_most_ms is not None:
                met = value is not None and value <= target.at_most_ms
                shown = "not measured" if value is None else f"{_ms(value)} ms"
            else:
                base = _value(result.measurements, target.of, target.statistic)
                ratio = None if value is None or not base else value / base
                met = ratio is not None and ratio <= target.times
                shown = "not measured" if ratio is None else f"{ratio:.2f} ×"
            found.append(Verdict(target, met, shown))
    return found


@dataclass(frozen=True)
class Benchmark:
    name: str
    group: str
    function: Callable[..., Sequence[Measurement]]
    targets: tuple[Target, ...] = ()

    @property
    def description(self) -> str:
        """The first paragraph of the function's docstring, on one line."""
        doc = (self.function.__doc__ or "").strip()
        return " ".join(doc.split("\n\n")[0].split())


@dataclass(frozen=True)
class Result:
    benchmark: Benchmark
    measurements: Sequence[Measurement]
    seconds: float


class UnknownBenchmark(LookupError):
    pass


@dataclass
class Registry:
    benchmarks: dict[str, Benchmark] = field(default_factory=dict)

    def benchmark(self, name: str, *, group: str | None = None, targets: Iterable[Target] = ()):
        """Register a benchmark; the group defaults to the module's name
        (``bench/sign_in.py`` → ``sign_in``)."""

        def register(function):
            if name in self.benchmarks:
                raise ValueError(f"benchmark {name!r} is registered twice")
            self.benchmarks[name] = Benchmark(
                name=name, group=group or function.__module__.rsplit(".", 1)[-1], function=function,
                targets=tuple(targets),
            )
            return function

        return register

    def select(self, names: Iterable[str] = ()) -> list[Benchmark]:
        """All benchmarks, or those whose name or group is given, in the
        order they were registered."""
        wanted = set(names)
        if not wanted:
            return list(self.benchmarks.values())
        known = set(self.benchmarks) | {b.group for b in self.benchmarks.values()}
        unknown = sorted(wanted - known)
        if unknown:
            raise UnknownBenchmark(
                f"unknown benchmark or group: {', '.join(unknown)} (known: {', '.join(sorted(known))})"
            )
        return [b for b in self.benchmarks.values() if b.name in wanted or b.group in wanted]

    def run(
        self,
        names: Iterable[str] = (),
        *,
        samples: int,
        warmup: int,
        progress: Callable[[str], None] | None = None,
    ) -> list[Result]:
        results = []
        for bench in self.select(names):
            if progress:
                progress(f"{bench.group}.{bench.name}: {warmup} warm-up, {samples} samples …")
            started = time.perf_counter()
            measurements = list(bench.function(samples=samples, warmup=warmup))
            results.append(Result(bench, measurements, time.perf_counter() - started))
        return results


registry = Registry()
benchmark = registry.benchmark


# --- Output -----------------------------------------------------------------

COLUMNS = ("benchmark", "measurement", "clock", "samples", "median ms", "p95 ms", "queries")


def _ms(value: float) -> str:
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def rows(results: Sequence[Result]) -> list[tuple[str, ...]]:
    return [
        (
            f"{result.benchmark.group}.{result.benchmark.name}",
            m.label,
            m.clock,
            str(m.samples),
            _ms(m.median_ms),
            _ms(m.p95_ms),
            m.queries_text,
        )
        for result in results
        for m in result.measurements
    ]


def format_table(results: Sequence[Result]) -> str:
    """A plain-text table for the terminal."""
    table = [COLUMNS, *rows(results)]
    widths = [max(len(row[i]) for row in table) for i in range(len(COLUMNS))]
    numeric = {3, 4, 5, 6}

    def line(row):
        cells = [cell.rjust(w) if i in numeric else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))]
        return "  ".join(cells).rstrip()

    return "\n".join([line(COLUMNS), "  ".join("-" * w for w in widths), *(line(r) for r in table[1:])])


def format_verdicts(found: Sequence[Verdict]) -> str:
    """One line a target: met or MISSED, what was measured."""
    return "\n".join(f"{'met   ' if v.met else 'MISSED'}  {v.target.text} ({v.found})" for v in found)


def markdown_table(results: Sequence[Result]) -> str:
    def escape(cell: str) -> str:
        return cell.replace("|", "\\|")

    header = "| " + " | ".join(COLUMNS) + " |"
    align = "|" + "|".join("---:" if i >= 3 else "---" for i in range(len(COLUMNS))) + "|"
    body = ["| " + " | ".join(escape(c) for c in row) + " |" for row in rows(results)]
    return "\n".join([header, align, *body])


METHOD = """\
- **server**: time inside Django's request handling, measured in the benchmark
  process around `django.test.Client` calls (the whole middleware stack, views,
  templates, database and cache; no network, no web server). The test client
  keeps one database connection open, as production does with `CONN_MAX_AGE`.
- **wall**: the whole round trip as a browser would wait for it, including the
  identity provider's own pages.
- Each benchmark first makes {warmup} warm-up runs, then takes {samples} timed samples.
  *median* and *p95* (nearest rank) are over those samples.
- **queries**: database queries per request (or per group of requests), counted with
  `CaptureQueriesContext` in separate runs so that counting does not slow the timed
  ones; a range means the count varied.
- Settings: `DEBUG` off, Celery tasks eager, `LOG_LEVEL=WARNING`, a fresh
  benchmark database with all migrations, cache and sessions in a temporary directory."""


def render_markdown(
    results: Sequence[Result],
    *,
    machine: Mapping[str, str],
    when: datetime,
    samples: int,
    warmup: int,
    command: str = "make bench",
) -> str:
    """What goes below the marker line."""
    lines = [
        "<!-- Written by `make bench` (bench/runner.py): edits below this line are lost at the next run. -->",
        "",
        "## Latest run",
        "",
        f"{when:%Y-%m-%d %H:%M %Z}, `{command}`.",
        "",
        "### Machine",
        "",
        "| | |",
        "|---|---|",
        *(f"| {key} | {value} |" for key, value in machine.items()),
        "",
        "### What was measured",
        "",
        METHOD.format(samples=samples, warmup=warmup),
        "",
        *(f"- `{r.benchmark.group}.{r.benchmark.name}`: {r.benchmark.description}" for r in results),
        "",
        "### Results",
        "",
        markdown_table(results),
        "",
    ]
    found = verdicts(results)
    if found:
        lines += [
            "### Targets (in the benchmarks: `targets=`)",
            "",
            "| target | measured | |",
            "|---|---:|---|",
            *(f"| {v.target.text} | {v.found} | {'met' if v.met else '**missed**'} |" for v in found),
            "",
        ]
    return "\n".join(lines)


def replace_below_marker(existing: str | None, generated: str) -> str:
    """Keep everything above the marker line (hand-written), replace what
    is below it. A page without the marker keeps its text and gets the marker
    after it; a missing page gets a short default heading."""
    if existing is None:
        head = DEFAULT_HEAD
    else:
        found = _MARKER_LINE.search(existing)
        head = existing[: found.start()] if found else existing.rstrip("\n") + "\n\n"
    return f"{head}{MARKER}\n{generated}"


_RESULT_ROW = re.compile(r"^\| (?P<name>[\w]+\.[\w.]+) \|.*\|$", re.MULTILINE)
KEPT_HEADING = "### Earlier results (benchmarks not run this time, as last measured)"


def earlier_rows(existing: str | None, measured: set[str]) -> list[str]:
    """Result rows of the page's earlier runs for benchmarks this run did not
    measure, so that running one group keeps the others' figures."""
    if not existing or not (found := _MARKER_LINE.search(existing)):
        return []
    rows = _RESULT_ROW.finditer(existing[found.end():])
    return [row.group(0) for row in rows if row.group("name") not in measured]


def write_page(path: Path, generated: str, measured: set[str] | None = None) -> None:
    """Write the generated results below the marker. ``measured`` names the
    benchmarks (``group.name``) of this run: rows of the others are kept."""
    path = Path(path)
    existing = path.read_text(encoding="utf-8") if path.exists() else None
    kept = earlier_rows(existing, measured) if measured is not None else []
    if kept:
        header = "\n".join(markdown_table([]).splitlines()[:2])
        generated = f"{generated.rstrip()}\n\n{KEPT_HEADING}\n\n{header}\n" + "\n".join(kept) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(replace_below_marker(existing, generated), encoding="utf-8")
    os.replace(temporary, path)
