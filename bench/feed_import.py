"""The card center feed import against a bare COPY (issue 3: import at ≥ 50 % of COPY speed).

Environment: ``BENCH_FEED_LINES`` (default 1,000,000 usage lines), ``BENCH_FEED_CARDS``
(default 50,000 cards, 25,000 members), ``BENCH_FEED_RUNS`` (default 3: each run is a COPY,
an import and a replay, whatever ``--samples`` says).
"""

from __future__ import annotations

import io
import json
import os
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.core.management import call_command
from django.db import connection

from bench import Target, benchmark
from bench.runner import WALL, Measurement
from cards.feed.content import content_text, utc_text
from cards.models import UsageRecord

LINES = int(os.environ.get("BENCH_FEED_LINES", "1000000"))
CARDS = int(os.environ.get("BENCH_FEED_CARDS", "50000"))
RUNS = int(os.environ.get("BENCH_FEED_RUNS", "3"))
SQLITE_LINES = 100_000
_COLUMNS = (
    "card_id, center_id, occurred_at, kind, amount, balance, from_station, to_station, operator, merchant, "
    "place, note, payment_method, payment_brand, payment_last4"
)
_STATIONS = ("大阪", "京都", "三ノ宮", "新大阪", "天王寺", "京橋", "尼崎", "芦屋", "高槻", "茨木", "奈良", "和歌山")
_SHOPS = ("駅ナカ売店 大阪駅", "カフェ 京都駅", "コンビニ 三ノ宮駅", "自販機 天王寺駅")


def _number(card: int) -> str:
    return f"JW7B{card:013d}"


def _usage(count: int, cards: int, seed: int = 20261120) -> Iterator[tuple[dict, tuple]]:
    """A month of usage: rides 70 %, purchases 15 %, charges 10 % (card or cash), buses 5 %;
    each card's lines in time order, cards interleaved as a day's feed is."""
    rng = random.Random(seed)  # noqa: S311 (test data)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=31)
    step = timedelta(days=30) / count
    balances = [rng.randrange(1000, 8000) for _ in range(cards)]
    for i in range(count):
        card = i % cards
        at = (start + step * i).replace(microsecond=0)
        line = {"type": "usage", "id": f"U-BENCH-{i:010d}", "icoca_number": _number(card),
                "at": at.astimezone().isoformat(timespec="seconds")}
        draw = rng.random()
        if draw < 0.10 or balances[card] < 600:
            amount = rng.choice((1000, 2000, 3000))
            payment = rng.choice(({"method": "cash"}, {"method": "card", "brand": "VISA", "last4": "4242"}))
            fields = {"kind": "charge", "payment": payment}
        elif draw < 0.80:
            a, b = rng.sample(_STATIONS, 2)
            amount, fields = -rng.choice((190, 240, 410, 580)), {"kind": "ride", "from": a, "to": b}
        elif draw < 0.95:
            amount, fields = -rng.randrange(100, 500), {"kind": "purchase", "merchant": rng.choice(_SHOPS)}
        else:
            amount, fields = -230, {"kind": "bus", "operator": "大阪シティバス"}
        balances[card] = min(20000, balances[card] + amount)
        line.update(fields, amount=amount, balance=balances[card])
        payment = line.get("payment", {})
        values = (
            line["id"], line["icoca_number"], utc_text(at), line["kind"], amount, balances[card],
            line.get("from", ""), line.get("to", ""), line.get("operator", ""), line.get("merchant", ""), "", "",
            payment.get("method", ""), payment.get("brand", ""), payment.get("last4", ""),
        )
        yield line, values


def _write_files(directory: Path, lines: int, cards: int) -> tuple[Path, Path]:
    """The card file and the usage file, as the center would send them."""
    card_path, usage_path = directory / "cards.jsonl", directory / "usage.jsonl"
    with open(card_path, "w", encoding="utf-8") as out:
        for card in range(cards):
            out.write(json.dumps({
                "type": "card", "icoca_number": _number(card), "wester_id": f"bench-feed-{card // 2}",
                "issued_at": "2025-04-01T09:00:00+09:00", "device": "iphone", "status": "active", "replaces": None,
            }) + "\n")
    with open(usage_path, "w", encoding="utf-8") as out:
        for line, _ in _usage(lines, cards):
            out.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
    return card_path, usage_path


def _write_copy_text(directory: Path, lines: int, cards: int) -> Path:
    """The same rows as COPY text, card ids resolved: what a bare COPY loads."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT icoca_number, id FROM cards_card")
        ids = dict(cursor.fetchall())
    path = directory / "usage.copy"
    with open(path, "w", encoding="utf-8") as out:
        for _, values in _usage(lines, cards):
            key, _, rest = content_text(values).split("\t", 2)
            out.write(f"{ids[values[1]]}\t{key}\t{rest}\n")
    return path


def _reset() -> None:
    """An empty usage table, as before the first import."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("TRUNCATE cards_usagerecord, cards_usagekey, cards_feedreject, cards_feedimport")
        else:
            for table in ("cards_usagerecord", "cards_usagekey", "cards_feedreject", "cards_feedimport"):
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (our tables)
        cursor.execute("UPDATE cards_card SET balance = NULL, balance_at = NULL")
        if connection.vendor == "postgresql":
            cursor.execute("CHECKPOINT")


def _bare_copy(path: Path) -> float:
    raw = connection.connection
    started = time.perf_counter()
    statement = f"COPY {UsageRecord._meta.db_table} ({_COLUMNS}) FROM STDIN"
    with raw.transaction(), raw.cursor() as cursor, open(path, "rb") as data, cursor.copy(statement) as copy:
        while chunk := data.read(1 << 20):
            copy.write(chunk)
    return time.perf_counter() - started


def _import(path: Path, expect: str) -> float:
    out = io.StringIO()
    started = time.perf_counter()
    call_command("import_feed", str(path), stdout=out)
    seconds = time.perf_counter() - started
    if expect not in out.getvalue():
        raise RuntimeError(f"import_feed said {out.getvalue()!r}, expected {expect!r}")
    return seconds


def _rate(lines: int, seconds: list[float]) -> str:
    return f"{lines / statistics.median(seconds):,.0f} rows/s"


@benchmark("feed_import", targets=[Target("import_feed, ", times=2.0, of="bare COPY")])  # ≥ 50 % of COPY speed
def feed_import(*, samples: int, warmup: int) -> list[Measurement]:
    """`import_feed` of a usage file (1,000,000 lines, 50,000 cards; each line a new record)
    against a bare `COPY` of the same rows into the same table, then the same file again (a
    replay: every line unchanged). Wall time of the whole command; PostgreSQL (on SQLite,
    100,000 lines and no COPY)."""
    postgres = connection.vendor == "postgresql"
    lines = LINES if postgres else min(LINES, SQLITE_LINES)
    cards = min(CARDS, lines)
    runs = max(1, min(samples, RUNS))
    with tempfile.TemporaryDirectory(prefix="bench-feed-") as directory:
        card_path, usage_path = _write_files(Path(directory), lines, cards)
        call_command("import_feed", str(card_path), stdout=io.StringIO())
        copy_path = _write_copy_text(Path(directory), lines, cards) if postgres else None
        copy_s, import_s, replay_s = [], [], []
        for _ in range(runs):
            if copy_path:
                _reset()
                copy_s.append(_bare_copy(copy_path))
            _reset()
            import_s.append(_import(usage_path, f"{lines} read, {lines} imported, 0 unchanged, 0 rejected"))
            replay_s.append(_import(usage_path, f"{lines} read, 0 imported, {lines} unchanged, 0 rejected"))
    measurements = []
    if copy_s:
        measurements.append(Measurement(f"bare COPY of the {lines:,} rows ({_rate(lines, copy_s)})", ms=[s * 1000 for s in copy_s], clock=WALL))
        share = statistics.median(copy_s) / statistics.median(import_s)
        speed = f"{_rate(lines, import_s)}, {share:.0%} of COPY speed"
    else:
        speed = f"{_rate(lines, import_s)}; SQLite has no COPY"
    measurements.append(Measurement(f"import_feed, {lines:,} new usage lines ({speed})", ms=[s * 1000 for s in import_s], clock=WALL))
    measurements.append(Measurement(f"import_feed again: a replay ({_rate(lines, replay_s)})", ms=[s * 1000 for s in replay_s], clock=WALL))
    return measurements
