"""利用履歴 on a big usage table: the first page and a page 100 pages deep
for a heavy member, and that member's whole-year CSV.

The usage table is filled with ``INSERT … SELECT`` over a generated series
(PostgreSQL ``generate_series``, SQLite a recursive CTE): rows in time order
over the document window, spread over many cards, every n-th row the heavy
member's, so their records lie scattered among everyone else's as a year of
feed imports would leave them. On PostgreSQL the monthly partitions of the
window exist first (``ensure_usage_partitions``) and the history index is
built after the load, as a bulk load would do.

``BENCH_HISTORY_ROWS`` sets the number of usage rows (default 10,000,000 on
PostgreSQL, 1,000,000 on SQLite, where the load alone takes minutes).
"""

from __future__ import annotations

import os
import re
import sys
import time
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.test import Client

from accounts.demo import DEMO_MEMBERS
from accounts.models import Member
from accounts.services import member_sign_in
from bench import Target, benchmark
from bench.measure import BenchmarkFailed, expect, measure
from cards import partitions
from cards.models import Card, CardStatus, CommuterPass, Device, UsageRecord
from cards.window import JAPAN, earliest_date, japan_today

HEAVY_RECORDS = 20_000
FILLER_CARDS = 100_000
FILLER_MEMBERS = 2_000
CHUNK = 1_000_000
DEEP = 100  # pages after the first
STATIONS = ["大阪", "京都", "三ノ宮", "新大阪", "天王寺", "奈良", "尼崎", "高槻", "京橋", "姫路", "和歌山", "明石"]
SHOPS = ["駅ナカ売店 大阪駅", "ベーカリー 京都駅店", "コンビニ 三ノ宮駅", "書店 天王寺駅", "カフェ 新大阪駅"]
NEXT = re.compile(r'rel="next" href="([^"]+)"')


def _rows() -> int:
    default = 10_000_000 if connection.vendor == "postgresql" else 1_000_000
    rows = int(os.environ.get("BENCH_HISTORY_ROWS", default))
    if rows < HEAVY_RECORDS * 2:
        raise BenchmarkFailed(f"BENCH_HISTORY_ROWS must be at least {HEAVY_RECORDS * 2}")
    return rows


def _say(line: str) -> None:
    print(f"bench: history: {line}", file=sys.stderr, flush=True)


def _case(expression: str, words: list[str]) -> str:
    """``CASE expression % n WHEN 0 THEN 'word' … END`` (our own words, no quotes in them)."""
    assert all("'" not in word for word in words)
    branches = " ".join(f"WHEN {n} THEN '{word}'" for n, word in enumerate(words))
    return f"(CASE ({expression}) % {len(words)} {branches} END)"


def _heavy_member():
    member = member_sign_in(wester_id="bench-history-heavy", claims=DEMO_MEMBERS[0])
    issued = datetime.now(UTC) - timedelta(days=800)
    old = Card.objects.create(
        member=member, icoca_number="JWH00000000000001", nickname="仕事用", device=Device.ANDROID,
        status=CardStatus.REISSUED, issued_at=issued,
    )
    new = Card.objects.create(
        member=member, icoca_number="JWH00000000000002", nickname="仕事用", device=Device.ANDROID,
        status=CardStatus.ACTIVE, issued_at=datetime.now(UTC) - timedelta(days=180), replaces=old,
    )
    shopping = Card.objects.create(
        member=member, icoca_number="JWH00000000000003", nickname="買い物用", device=Device.APPLE_WATCH,
        status=CardStatus.ACTIVE, issued_at=issued,
    )
    return member, old, new, shopping


def _filler_cards() -> None:
    """Everyone else: FILLER_CARDS cards of FILLER_MEMBERS members, numbered
    0… in the temporary table ``bench_card`` for the load to pick from."""
    unusable = "!"  # Django's mark for "no password"
    members = Member.objects.bulk_create(
        [
            Member(username=f"bench-filler-{n}", wester_id=f"bench-filler-{n}", password=unusable)
            for n in range(FILLER_MEMBERS)
        ],
        batch_size=1000,
    )
    if members[0].pk is None:  # a database that does not return ids
        members = list(Member.objects.filter(username__startswith="bench-filler-").order_by("pk"))
    issued = datetime.now(UTC) - timedelta(days=800)
    Card.objects.bulk_create(
        (
            Card(member_id=members[n % FILLER_MEMBERS].pk, icoca_number=f"JWF{n:014d}", nickname="",
                 device=Device.IPHONE, status=CardStatus.ACTIVE, issued_at=issued)
            for n in range(FILLER_CARDS)
        ),
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE bench_card (n integer PRIMARY KEY, card_id bigint NOT NULL)")
        ids = list(Card.objects.filter(icoca_number__startswith="JWF").order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), 10_000):
            batch = ids[start : start + 10_000]
            values = ", ".join(f"({start + n}, {pk})" for n, pk in enumerate(batch))
            cursor.execute(f"INSERT INTO bench_card (n, card_id) VALUES {values}")  # noqa: S608 (our integers)


def _usage_sql(*, first: int, last: int, rows: int, start: datetime, seconds: float, heavy: tuple[int, int, int]) -> str:
    """Rows ``first``…``last`` of ``rows``, in time order from ``start`` over
    ``seconds``: every ``rows // HEAVY_RECORDS``-th row the heavy member's
    (70 % on the work card, old before the reissue and new after, 30 % on
    the shopping card), the others on a filler card."""
    every = rows // HEAVY_RECORDS
    old, new, shopping = heavy
    step = seconds / rows
    postgres = connection.vendor == "postgresql"
    if postgres:
        series = f"generate_series({first}::bigint, {last}::bigint) AS s(g)"
        at = f"TIMESTAMPTZ '{start.isoformat()}' + make_interval(secs => s.g * {step!r})"
        prefix = ""
    else:
        series = "s"
        at = f"strftime('%Y-%m-%d %H:%M:%f', {start.timestamp()!r} + s.g * {step!r}, 'unixepoch')"
        prefix = f"WITH RECURSIVE s(g) AS (SELECT {first} UNION ALL SELECT g + 1 FROM s WHERE g < {last}) "  # noqa: S608
    kind = (
        "(CASE WHEN s.g % 20 < 14 THEN 'ride' WHEN s.g % 20 < 17 THEN 'purchase' "
        "WHEN s.g % 20 = 17 THEN 'bus' ELSE 'charge' END)"
    )
    amount = (
        "(CASE WHEN s.g % 20 < 14 THEN -(140 + (s.g % 9) * 60) WHEN s.g % 20 < 17 THEN -(100 + s.g % 900) "
        "WHEN s.g % 20 = 17 THEN -230 ELSE 3000 END)"
    )
    ride = "s.g % 20 < 14"
    purchase = "s.g % 20 >= 14 AND s.g % 20 < 17"
    charge = "s.g % 20 >= 18"
    card_by_card = "s.g % 2 = 0"
    heavy_card = (
        f"(CASE WHEN (s.g / {every}) % 10 >= 7 THEN {shopping} WHEN s.g < {rows // 2} THEN {old} ELSE {new} END)"
    )
    columns = (
        "center_id, card_id, occurred_at, kind, amount, balance, from_station, to_station, operator, merchant, "
        "place, note, payment_method, payment_brand, payment_last4"
    )
    return (
        f"{prefix}INSERT INTO cards_usagerecord ({columns}) "  # noqa: S608 (our own numbers and words)
        f"SELECT 'B-' || s.g, "
        f"CASE WHEN s.g % {every} = 0 THEN {heavy_card} ELSE c.card_id END, "
        f"{at}, {kind}, {amount}, (s.g * 37) % 20001, "
        f"CASE WHEN {ride} THEN {_case('s.g', STATIONS)} ELSE '' END, "
        f"CASE WHEN {ride} THEN {_case('s.g / 7 + 3', STATIONS)} ELSE '' END, "
        f"CASE WHEN s.g % 20 = 17 THEN '京都市営バス' ELSE '' END, "
        f"CASE WHEN {purchase} THEN {_case('s.g', SHOPS)} ELSE '' END, "
        f"CASE WHEN {charge} THEN 'モバイルICOCA' ELSE '' END, '', "
        f"CASE WHEN {charge} THEN (CASE WHEN {card_by_card} THEN 'card' ELSE 'cash' END) ELSE '' END, "
        f"CASE WHEN {charge} AND {card_by_card} THEN 'VISA' ELSE '' END, "
        f"CASE WHEN {charge} AND {card_by_card} THEN '4242' ELSE '' END "
        f"FROM {series} JOIN bench_card c ON c.n = (s.g * 7919) % {FILLER_CARDS}"
    )


def _history_index() -> str | None:
    """PostgreSQL: drop the history index before the load (its definition is
    returned, to build it again after)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'cards_usagerecord' AND indexname = 'usage_card_time'")
        (definition,) = cursor.fetchone()
        cursor.execute("DROP INDEX usage_card_time")
    # pg_indexes shows a partitioned index as "ON ONLY parent" (the parent
    # alone, invalid until each partition has one): built again on every
    # partition at once.
    return definition.replace(" ON ONLY ", " ON ", 1)


def load(rows: int) -> tuple[Member, list[Card]]:
    """The heavy member and their cards, after loading ``rows`` usage rows."""
    today = japan_today()
    first_day = earliest_date(today)
    start = datetime(first_day.year, first_day.month, first_day.day, tzinfo=JAPAN).astimezone(UTC)
    end = datetime.now(UTC) - timedelta(minutes=5)
    partitions.ensure_usage_partitions(first=first_day, last=partitions.add_months(today, 1))
    member, old, new, shopping = _heavy_member()
    for month in range(12):  # a monthly pass bought at each month's start
        paid = start + timedelta(days=30 * month + 1)
        valid_from = paid.astimezone(JAPAN).date()
        CommuterPass.objects.create(
            center_id=f"P-BENCH-{month}", card=old if paid < start + (end - start) / 2 else new, kind="commuter",
            from_station="大阪", to_station="三ノ宮", via="JR神戸線", valid_from=valid_from,
            valid_until=valid_from + timedelta(days=29), months=1, price=12970, fare_1_month=12970,
            fare_3_months=36960, fare_6_months=70040, paid_at=paid, payment_method="card", payment_brand="VISA",
            payment_last4="4242", digest="0" * 64,
        )
    started = time.monotonic()
    _filler_cards()
    _say(f"{FILLER_CARDS:,} cards in {time.monotonic() - started:.0f} s; loading {rows:,} usage rows …")
    definition = _history_index()
    seconds = (end - start).total_seconds()
    for first in range(1, rows + 1, CHUNK):
        last = min(first + CHUNK - 1, rows)
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute(
                _usage_sql(first=first, last=last, rows=rows, start=start, seconds=seconds,
                           heavy=(old.pk, new.pk, shopping.pk))
            )
        _say(f"{last:,} rows ({time.monotonic() - started:.0f} s)")
    with connection.cursor() as cursor:
        if definition:
            cursor.execute("SET maintenance_work_mem = '512MB'")
            cursor.execute(definition)
            cursor.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = 'usage_card_time'::regclass")
            if cursor.fetchone() != (True,):
                raise BenchmarkFailed("the history index is not valid on every partition")
            _say(f"history index built ({time.monotonic() - started:.0f} s)")
        if connection.vendor == "postgresql":
            # What autovacuum does to a table that was only inserted into (PostgreSQL 13+)
            # long before a year of history is online: the visibility map set, so that the
            # month totals read the history index alone (an index-only scan). Done here,
            # so that the figures do not depend on whether autovacuum got there first.
            cursor.execute("VACUUM (ANALYZE) cards_usagerecord")
        cursor.execute("ANALYZE")
        cursor.execute("DROP TABLE bench_card")
    heavy = UsageRecord.objects.filter(card__member=member).count()
    total = UsageRecord.objects.count()
    if heavy != HEAVY_RECORDS or total != rows:
        raise BenchmarkFailed(f"loaded {total:,} rows ({heavy:,} of the heavy member), expected {rows:,} ({HEAVY_RECORDS:,})")
    _say(f"{total:,} usage rows, {heavy:,} of the heavy member, in {time.monotonic() - started:.0f} s")
    return member, [old, new, shopping]


def _next(response) -> str:
    found = NEXT.search(response.content.decode())
    if not found:
        raise BenchmarkFailed("no 次の50件 link")
    return found.group(1).replace("&amp;", "&")


FIRST_PAGE = "GET /history/ first page"
DEEP_PAGE = f"GET /history/?after=… page {DEEP + 1}"
CSV = "GET /history/export.csv"
CSV_FIRST_BYTE = f"{CSV}: first byte (the BOM and the header)"
CSV_FIRST_LINES = f"{CSV}: first lines (the first chunk of rows)"


@benchmark(
    "history_pages",
    targets=[  # issue 16 §4
        Target(FIRST_PAGE, "p95", at_most_ms=25),
        Target(DEEP_PAGE, "p95", at_most_ms=25),
        Target(CSV_FIRST_BYTE, "p95", at_most_ms=200),
        Target(CSV_FIRST_LINES, "p95", at_most_ms=200),
    ],
)
def history_pages(*, samples: int, warmup: int):
    """利用履歴 (`/history/`) with 10,000,000 usage rows in the table (PostgreSQL;
    `BENCH_HISTORY_ROWS`) and a heavy member with 20,000 records on three cards (a reissued work card,
    its replacement, a shopping card) plus monthly pass purchases: the first page, the page 100 pages deep
    (reached by following 「次の50件」), the same for one card, and the whole-year CSV export (20,000+ lines,
    fewer samples): the time to its first byte, to its first chunk of lines, and to its end."""
    rows = _rows()
    member, (_old, new, _shopping) = load(rows)
    client = Client()
    client.force_login(member)
    rows_text = f"{rows:,} rows"

    deep = {}
    for label, params in (("all cards", ""), ("one card", f"card={new.public_id}")):
        url = "/history/" + (f"?{params}" if params else "")
        for _ in range(DEEP):
            response = client.get(url)
            expect(response, 200)
            url = _next(response)
        deep[label] = url
    first_label = f"{FIRST_PAGE} ({rows_text})"
    deep_label = f"{DEEP_PAGE} ({rows_text})"
    card_label = f"GET /history/?card=…&after=… page {DEEP + 1}, one card"

    def pages(timer):
        with timer(first_label):
            response = client.get("/history/")
        expect(response, 200, contains="次の50件")
        with timer(deep_label):
            response = client.get(deep["all cards"])
        expect(response, 200, contains="次の50件")
        with timer(card_label):
            response = client.get(deep["one card"])
        expect(response, 200, contains="次の50件")

    results = measure(pages, samples=samples, warmup=warmup)

    csv_label = f"{CSV} (whole year, heavy member)"

    def export(timer):
        # The test client returns once the view has; a streamed body is then read chunk
        # by chunk as the web server would send it.
        with timer(csv_label):
            with timer(CSV_FIRST_LINES):
                with timer(CSV_FIRST_BYTE):
                    response = client.get("/history/export.csv")
                    chunks = iter(response.streaming_content)
                    first = next(chunks)
                second = next(chunks)
            body = first + second + b"".join(chunks)
        expect(response, 200)
        if not first or second.count(b"\r\n") < 1:
            raise BenchmarkFailed("the CSV's first chunks are empty")
        lines = body.count(b"\r\n") - 1
        if lines < HEAVY_RECORDS:
            raise BenchmarkFailed(f"the CSV has {lines} lines")

    results += measure(export, samples=max(1, min(samples, 10)), warmup=min(warmup, 1), query_samples=1)
    return results
