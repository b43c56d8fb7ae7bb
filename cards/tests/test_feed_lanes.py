"""The COPY lanes of a big file on PostgreSQL (``cards.feed.postgres.Lanes``): blocks written
side by side on several connections end as if written one after the other, in file order:
the same counts, records, rejects and balances as the serial writer, with ids repeated across
neighbouring blocks, stored ids in the middle of a file, and conflicts. Transactional tests:
the lanes' connections must see the cards the test stored."""

from __future__ import annotations

import json
import random
import threading

import pytest
from django.db import connection

from cards.feed import blocks, content, postgres
from cards.feed.parsing import parse_line
from cards.models import Card, FeedImport, FeedReject, UsageKey, UsageRecord
from cards.tests.test_feed_import import NUMBER, OTHER, card, counts, importing_in, ride

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def run(tmp_path):
    return importing_in(tmp_path)


@pytest.fixture(autouse=True)
def big_file(monkeypatch, run):
    """Every file counts as big (lanes on), parsed here (no pool to start), a block a line."""
    if connection.vendor != "postgresql":
        pytest.skip("the lanes are PostgreSQL's")
    monkeypatch.setattr(blocks, "POOL_MIN_BYTES", 0)
    monkeypatch.setattr(blocks, "processes", lambda: 0)
    monkeypatch.setattr(blocks, "SPAN_BYTES", 1)
    run(card(), card(number=OTHER))


@pytest.fixture
def lanes_used(monkeypatch):
    names = []
    copy_in = postgres._copy_in

    def spy(statement, text):
        names.append(threading.current_thread().name)
        return copy_in(statement, text)

    monkeypatch.setattr(postgres, "_copy_in", spy)
    return names


def stored() -> set[tuple]:
    return set(UsageRecord.objects.values_list("center_id", "card__icoca_number", "balance"))


def test_a_fresh_feed_goes_through_the_lanes(run, lanes_used):
    report = run(*(ride(f"U-{i}", at=f"2026-11-20T08:{i:02d}:00+09:00", balance=i) for i in range(12)))
    assert counts(report) == (12, 12, 0, 0)
    assert UsageRecord.objects.count() == UsageKey.objects.count() == 12
    assert set(lanes_used) == {"feed-usage-lane-0", "feed-usage-lane-1"}
    assert Card.objects.get(icoca_number=NUMBER).balance == 11


@pytest.mark.parametrize("gap", [0, 1, 2, 5])
def test_an_id_twice_in_a_file_the_first_line_wins(run, gap):
    def fillers(prefix):
        return [ride(f"{prefix}-{i}", icoca_number=OTHER) for i in range(gap)]

    report = run(ride("U-1", balance=100), *fillers("F"), ride("U-1", balance=200), ride("U-2"))
    assert counts(report) == (gap + 3, gap + 2, 0, 1)
    assert ("U-1", NUMBER, 100) in stored() and UsageRecord.objects.filter(center_id="U-1").count() == 1
    reject = FeedReject.objects.get()
    assert reject.line_number == gap + 2 and "balance (stored 100, this line 200)" in reject.reason
    report = run(ride("U-3"), *fillers("G"), ride("U-3"))
    assert counts(report) == (gap + 2, gap + 1, 1, 0)


def test_stored_ids_in_the_middle_of_a_file(run, lanes_used):
    run(ride("U-5", balance=5), ride("U-6", balance=6))
    lanes_used.clear()
    report = run(*(ride(f"U-{i}", balance=i) for i in range(12)))
    assert counts(report) == (12, 10, 2, 0)
    assert UsageRecord.objects.count() == 12
    assert "MainThread" not in lanes_used[:8]  # the blocks before U-5 went by the lanes


def test_the_same_outcome_as_the_serial_writer(run, monkeypatch):
    """Random files of new, repeated, replayed and conflicting lines, imported with lanes and
    without: the same counts, rejects, records and balances."""
    rng = random.Random(20261126)
    for rate in (0.01, 0.03, 0.1, 0.3):  # of stored and repeated ids: the lanes stop at the first
        stored_before = [ride(f"S-{i}", balance=i) for i in range(5)]
        lines = []
        for i in range(40):
            choice = rng.random()
            if choice < rate / 2:
                line = dict(rng.choice(stored_before))
            elif choice < rate and lines:
                line = dict(rng.choice(lines))
                if rng.random() < 0.5:
                    line["balance"] = rng.randrange(20000)  # a conflict
            else:
                line = ride(f"N-{i}", icoca_number=rng.choice([NUMBER, OTHER]), balance=rng.randrange(20000),
                            at=f"2026-11-{rng.randrange(10, 28)}T08:00:00+09:00")
            lines.append(line)
        outcomes = []
        for lanes in (0, postgres.LANES):
            monkeypatch.setattr(postgres, "LANES", lanes)
            UsageRecord.objects.all().delete()
            UsageKey.objects.all().delete()
            Card.objects.update(balance=None, balance_at=None)
            run(*stored_before)
            report = run(*lines)
            outcomes.append((
                counts(report),
                sorted(FeedReject.objects.filter(feed_import=report.feed_import).values_list("line_number", "reason")),
                sorted(UsageRecord.objects.values_list("center_id", "card_id", "balance", "occurred_at")),
                sorted(Card.objects.values_list("icoca_number", "balance", "balance_at")),
            ))
        assert outcomes[0] == outcomes[1]


def test_a_key_another_import_holds_sends_the_lanes_to_the_serial_way(run, monkeypatch, lanes_used):
    """Another import's transaction holds U-5 (not committed): the lane waits at most
    LANE_LOCK_TIMEOUT, gives up, and the serial way waits for the other import, then finds
    U-5 stored (the same line: unchanged). No import waits on the other for ever."""
    import psycopg
    from django.db import connection as django_connection

    monkeypatch.setattr(postgres, "LANE_LOCK_TIMEOUT", "200ms")
    settings = django_connection.settings_dict
    other = psycopg.connect(
        host=settings["HOST"] or None, port=settings["PORT"] or None, user=settings["USER"],
        password=settings["PASSWORD"] or None, dbname=settings["NAME"],
    )
    digest = content.text_digest(content.content_text(content.values(parse_line(json.dumps(ride("U-5", balance=5))))))
    other.execute("INSERT INTO cards_usagekey (center_id, digest) VALUES ('U-5', %s)", [digest])
    threading.Timer(1.5, other.rollback).start()  # the other import gives U-5 up
    report = run(*(ride(f"U-{i}", balance=i) for i in range(12)))
    other.close()
    assert counts(report) == (12, 12, 0, 0) and UsageRecord.objects.count() == 12
    assert lanes_used[0].startswith("feed-usage-lane") and lanes_used[-1] == "feed-usage-writer"


def test_an_error_in_a_lane_stops_the_import(run, monkeypatch):
    copy_in, calls = postgres._copy_in, []

    def failing(statement, text):
        calls.append(statement)
        if len(calls) == 5:
            raise RuntimeError("the disk is full")
        return copy_in(statement, text)

    monkeypatch.setattr(postgres, "_copy_in", failing)
    with pytest.raises(RuntimeError, match="the disk is full"):
        run(*(ride(f"U-{i}") for i in range(12)))
    assert not [thread for thread in threading.enumerate() if thread.name.startswith("feed-usage")]
    written = UsageRecord.objects.count()
    assert written == UsageKey.objects.count() and written <= 2  # whole blocks, before the failed one only
    monkeypatch.setattr(postgres, "_copy_in", copy_in)
    report = run(*(ride(f"U-{i}") for i in range(12)))  # the replay completes it
    assert counts(report) == (12, 12 - written, written, 0)
    assert FeedImport.objects.filter(finished_at__isnull=True).count() == 1  # the import that failed
