"""`make bench`: the registry, the figures, the table and docs/performance.md
(with a fake benchmark: no database, no provider)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bench.database import bench_database
from bench.runner import (
    MARKER,
    WALL,
    Measurement,
    Registry,
    Target,
    UnknownBenchmark,
    format_table,
    format_verdicts,
    render_markdown,
    verdicts,
    write_page,
)

MACHINE = {"cores": "2", "memory": "8.0 GiB", "Python": "3.11.7", "database": "PostgreSQL 15.20"}


def fake_registry(calls: list[tuple[int, int]]) -> Registry:
    registry = Registry()

    @registry.benchmark("fake_page", group="fake")
    def fake_page(*, samples, warmup):
        """GET /fake/ for a signed-in member.

        Only the first paragraph is shown."""
        calls.append((samples, warmup))
        return [
            Measurement("GET /fake/", ms=[float(n) for n in range(1, samples + 1)], queries=[4] * 3),
            Measurement("round trip", ms=[50.0] * samples, queries=[4, 6, 5], clock=WALL),
        ]

    @registry.benchmark("other", group="elsewhere")
    def other(*, samples, warmup):
        """Another benchmark."""
        return [Measurement("GET /other/", ms=[1.0] * samples)]

    return registry


def run_fake(**kwargs):
    calls: list[tuple[int, int]] = []
    results = fake_registry(calls).run(["fake"], samples=20, warmup=3, **kwargs)
    return calls, results


def test_the_runner_runs_the_named_group_with_the_samples_and_warm_up():
    progress: list[str] = []

    calls, results = run_fake(progress=progress.append)

    assert calls == [(20, 3)]
    assert [r.benchmark.name for r in results] == ["fake_page"]
    assert progress == ["fake.fake_page: 3 warm-up, 20 samples …"]


def test_median_and_nearest_rank_p95():
    measurement = Measurement("x", ms=[float(n) for n in range(1, 21)])
    assert (measurement.samples, measurement.median_ms, measurement.p95_ms) == (20, 10.5, 19.0)
    assert Measurement("one", ms=[7.0]).p95_ms == 7.0


def test_the_table_shows_the_figures_of_every_measurement():
    _, results = run_fake()

    lines = format_table(results).splitlines()

    assert lines[0].split() == ["benchmark", "measurement", "clock", "samples", "median", "ms", "p95", "ms", "queries"]
    assert lines[2].split() == ["fake.fake_page", "GET", "/fake/", "server", "20", "10.5", "19.0", "4"]
    assert lines[3].split() == ["fake.fake_page", "round", "trip", "wall", "20", "50.0", "50.0", "4–6"]


def test_benchmarks_are_chosen_by_name_or_group_and_unknown_names_are_refused():
    registry = fake_registry([])
    assert [b.name for b in registry.select()] == ["fake_page", "other"]
    assert [b.name for b in registry.select(["other"])] == ["other"]
    assert [b.name for b in registry.select(["fake"])] == ["fake_page"]
    with pytest.raises(UnknownBenchmark, match="nope"):
        registry.select(["nope"])
    with pytest.raises(ValueError, match="twice"):
        registry.benchmark("other", group="again")(lambda **kwargs: [])


def page_for(results) -> str:
    return render_markdown(
        results, machine=MACHINE, when=datetime(2025, 4, 1, 3, 0, tzinfo=UTC), samples=20, warmup=3
    )


def test_the_page_keeps_the_hand_written_text_above_the_marker(tmp_path):
    _, results = run_fake()
    path = tmp_path / "docs" / "performance.md"
    path.parent.mkdir()
    hand_written = f"# Performance\n\nBudget: マイページ under 50 ms.\n\n`{MARKER}` is the marker.\n\n"
    path.write_text(f"{hand_written}{MARKER}\n| old | table |\nstale figures\n", encoding="utf-8")

    write_page(path, page_for(results))
    write_page(path, page_for(results))  # a second run replaces, never appends

    text = path.read_text(encoding="utf-8")
    assert text.startswith(hand_written + MARKER + "\n")
    assert text.count(MARKER) == 2  # the quoted one above, the marker line itself
    assert "stale figures" not in text and "| old | table |" not in text
    below = text.split("\n" + MARKER + "\n", 1)[1]
    assert "2025-04-01 03:00 UTC" in below
    assert "| cores | 2 |" in below and "| database | PostgreSQL 15.20 |" in below
    assert "- `fake.fake_page`: GET /fake/ for a signed-in member." in below
    assert "Only the first paragraph" not in below
    assert "20 timed samples" in below and "3 warm-up runs" in below
    assert "| benchmark | measurement | clock | samples | median ms | p95 ms | queries |" in below
    assert "| fake.fake_page | GET /fake/ | server | 20 | 10.5 | 19.0 | 4 |" in below
    assert "| fake.fake_page | round trip | wall | 20 | 50.0 | 50.0 | 4–6 |" in below


def test_a_new_page_gets_a_heading_and_a_page_without_the_marker_keeps_its_text(tmp_path):
    _, results = run_fake()
    new, old = tmp_path / "new.md", tmp_path / "old.md"
    old.write_text("# Speed\n\nNotes.\n", encoding="utf-8")

    write_page(new, page_for(results))
    write_page(old, page_for(results))

    assert new.read_text(encoding="utf-8").startswith("# Performance\n")
    assert f"\n{MARKER}\n" in new.read_text(encoding="utf-8")
    assert old.read_text(encoding="utf-8").startswith(f"# Speed\n\nNotes.\n\n{MARKER}\n")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://postgres@127.0.0.1:5432/portal", "postgres://postgres@127.0.0.1:5432/portal_bench"),
        ("postgres://postgres@127.0.0.1:5432/portal_bench", "postgres://postgres@127.0.0.1:5432/portal_bench"),
        ("postgresql://u:p@db/portal?sslmode=require", "postgresql://u:p@db/portal_bench?sslmode=require"),
    ],
)
def test_the_benchmark_database_on_postgresql_is_a_database_of_its_own(tmp_path, url, expected):
    database = bench_database(url, tmp_path)
    assert (database.vendor, database.url, database.name) == ("postgresql", expected, "portal_bench")


@pytest.mark.parametrize("url", [None, "sqlite:////work/main/var/portal.sqlite3"])
def test_the_benchmark_database_on_sqlite_is_a_throwaway_file(tmp_path, url):
    database = bench_database(url, tmp_path)
    assert database.vendor == "sqlite"
    assert database.url == f"sqlite:///{tmp_path}/portal_bench.sqlite3"


def test_running_one_group_keeps_the_other_groups_figures(tmp_path):
    path = tmp_path / "performance.md"
    both = fake_registry([]).run(["fake", "elsewhere"], samples=5, warmup=0)
    write_page(path, page_for(both), measured={"fake.fake_page", "elsewhere.other"})
    one = fake_registry([]).run(["fake"], samples=5, warmup=0)

    write_page(path, page_for(one), measured={"fake.fake_page"})

    text = path.read_text(encoding="utf-8")
    latest, earlier = text.split("Earlier results")
    assert "| fake.fake_page |" in latest and "| fake.fake_page |" not in earlier
    assert "| elsewhere.other |" in earlier and "| elsewhere.other |" not in latest


def targeted(*targets: Target, ms: float = 200.0, other_ms: float = 100.0):
    registry = Registry()

    @registry.benchmark("targeted", group="t", targets=targets)
    def targeted_benchmark(*, samples, warmup):
        """A benchmark with targets."""
        return [
            Measurement("search: a name", ms=[ms] * samples),
            Measurement("search: romaji", ms=[ms / 2] * samples),
            Measurement("bare", ms=[other_ms] * samples),
        ]

    return registry.run(["t"], samples=5, warmup=0)


def test_targets_are_met_or_missed_by_every_measurement_they_name():
    results = targeted(
        Target("search: ", "p95", at_most_ms=300), Target("search: ", at_most_ms=150),
        Target("search: a", times=2.0, of="bare"), Target("search: a", times=1.5, of="bare"),
        Target("nothing like it", at_most_ms=1000),
    )

    found = verdicts(results)

    assert [(v.met, v.found) for v in found] == [
        (True, "200 ms"), (False, "200 ms"), (True, "2.00 ×"), (False, "2.00 ×"), (False, "not measured"),
    ]
    text = format_verdicts(found)
    assert "met     search: : p95 ≤ 300 ms (200 ms)" in text
    assert "MISSED  search: a: median ≤ 1.5 × bare (2.00 ×)" in text
    page = render_markdown(results, machine=MACHINE, when=datetime(2026, 11, 26, tzinfo=UTC), samples=5, warmup=0)
    assert "| search: : median ≤ 150 ms | 200 ms | **missed** |" in page


@pytest.mark.parametrize("wrong", [
    {"at_most_ms": 1, "times": 2, "of": "x"}, {}, {"times": 2}, {"at_most_ms": 1, "statistic": "mean"},
])
def test_a_target_says_one_thing(wrong):
    with pytest.raises(ValueError):
        Target("x", **wrong)


@pytest.mark.django_db(transaction=True)
def test_the_support_loader_fills_every_column_the_members_table_requires(monkeypatch):
    # The loader writes rows with SQL; a new NOT NULL column without a value breaks the full-size run.
    from accounts.models import Member
    from bench import support
    from cards.models import UsageRecord

    monkeypatch.setenv("BENCH_SUPPORT_MEMBERS", "1000")
    monkeypatch.setenv("BENCH_SUPPORT_USAGE", "3000")
    data = support.load()
    assert data["loaded"] == 1000
    assert Member.objects.filter(username__startswith="bench-m-").count() == 1000
    assert UsageRecord.objects.count() >= 3000
