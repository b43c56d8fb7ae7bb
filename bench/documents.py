"""Documents (issue 5): rendering receipts with WeasyPrint, and what one
worker gets through.

- ``receipt_month``: a month of card payments (18 charges, 2 passes: 20 lines),
  the PDF alone and the render task end to end (target: median ≤ 1 s).
- ``receipt_year``: a heavy member's year of card payments, 2,000 lines (about
  50 pages): composing it from the database, rendering it, and WeasyPrint
  rendering a bare HTML table of the same rows in the same font on the same
  machine (target: ours ≤ 1.3 × the bare table). The peak memory of each render
  is measured in a child process of its own and written into the row's label.
- ``usage_history_year``: a heavy commuter's year of usage, 2,000 lines (rides, buses,
  purchases): the 利用履歴証明 composed from the database, rendered, and the bare
  WeasyPrint table of the same rows in the same font (target: ours ≤ 1.3 × the bare table).
- ``worker_throughput``: month receipts requested one after another and made
  by the render task in this process (compose, render, store, mark ready,
  e-mail with the PDF attached): documents per minute of one worker process.
"""

from __future__ import annotations

import multiprocessing
import statistics
import sys
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from accounts.models import Member
from bench import Target, benchmark
from bench._render_child import bare_render, bare_table_html, measure_in_child
from bench.measure import BenchmarkFailed, measure
from billing.documents import composing as documents
from billing.documents import rendering as pdf
from billing.documents import services as document_services
from billing.documents.receipts import JAPAN
from billing.documents.usage_histories import UsageHistoryScope
from billing.documents.usage_histories import compose as compose_usage_history
from billing.models import Document, DocumentStatus
from cards.models import Card, CardStatus, CommuterPass, Device, PaymentMethodKind, UsageKind, UsageRecord
from cards.window import japan_today, last_month

YEAR_LINES = 2_000
YEAR_PASSES = 12
MONTH_CHARGES, MONTH_PASSES = 18, 2


def _say(line: str) -> None:
    print(f"bench: documents: {line}", file=sys.stderr, flush=True)


def _member(key: str) -> tuple[Member, Card, Card]:
    member = Member.objects.create(username=f"bench-{key}", wester_id=f"bench-{key}", name="山田 花子",
                                   email=f"{key}@example.jp")
    issued = datetime.now(UTC) - timedelta(days=800)
    cards = [
        Card.objects.create(member=member, icoca_number=f"JWB{key[:4].upper():0>4}{n:010d}", nickname=nickname,
                            device=Device.ANDROID, status=CardStatus.ACTIVE, issued_at=issued)
        for n, nickname in enumerate(("仕事用", "買い物用"))
    ]
    return member, cards[0], cards[1]


def _payments(member_key: str, *, start: datetime, end: datetime, charges: int, passes: int) -> Member:
    """``charges`` card charges and ``passes`` passes spread evenly over ``[start, end)``."""
    member, work, shopping = _member(member_key)
    step = (end - start) / (charges + passes)
    records, bought = [], []
    pass_every = max(1, (charges + passes) // max(passes, 1))
    for n in range(charges + passes):
        at = start + step * n
        if passes and n % pass_every == 0 and len(bought) < passes:
            day = at.astimezone(JAPAN).date() + timedelta(days=3)
            bought.append(CommuterPass(
                center_id=f"P-{member_key}-{n:06d}", card=work, kind="commuter", from_station="大阪",
                to_station="三ノ宮", via="JR神戸線", valid_from=day, valid_until=day + timedelta(days=89), months=3,
                price=36960, fare_1_month=12970, fare_3_months=36960, fare_6_months=70040, paid_at=at,
                payment_method=PaymentMethodKind.CARD, payment_brand="MASTERCARD", payment_last4="5454",
                digest="0" * 64,
            ))
        else:
            records.append(UsageRecord(
                center_id=f"U-{member_key}-{n:08d}", card=shopping if n % 3 else work, occurred_at=at,
                kind=UsageKind.CHARGE, amount=(1000, 3000, 5000)[n % 3], balance=8000,
                payment_method=PaymentMethodKind.CARD, payment_brand="VISA", payment_last4="4242",
                place="モバイルICOCA",
            ))
    UsageRecord.objects.bulk_create(records, batch_size=1000)
    CommuterPass.objects.bulk_create(bought)
    return member


def _month() -> tuple[int, int, date, date]:
    year, month = last_month(japan_today())
    first = date(year, month, 1)
    last = (date(year + (month == 12), month % 12 + 1, 1)) - timedelta(days=1)
    return year, month, first, last


def _japan(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=JAPAN)


def _ready(document: Document) -> Document:
    document.refresh_from_db()
    if document.status != DocumentStatus.READY:
        raise BenchmarkFailed(f"document {document.number} is {document.status}: {document.failure_reason}")
    return document


def _peak_memory_mib(which: str, payload: dict) -> tuple[float, float]:
    """(peak resident set of the process, growth during the render) in MiB,
    measured in a process of its own (spawned: no memory left over from the
    benchmark's other renders)."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=measure_in_child, args=(sender, which, payload))
    process.start()
    peak_kib, grown_kib = receiver.recv()
    process.join()
    return peak_kib / 1024, grown_kib / 1024


@benchmark("receipt_month", targets=[Target("20-line receipt: HTML → PDF/A-3b", at_most_ms=1000)])
def receipt_month(*, samples: int, warmup: int):
    """A month receipt of 20 lines (18 card charges, 2 passes): the PDF alone
    (HTML → WeasyPrint → PDF/A-3b) and the render task end to end (take the
    row, render, store, mark ready). Target: median ≤ 1 s."""
    year, month, first, last = _month()
    member = _payments("month", start=_japan(first), end=_japan(last), charges=MONTH_CHARGES, passes=MONTH_PASSES)
    document = _ready(document_services.receipt_request_month(member=member, year=year, month=month).document)
    if len(document.content["lines"]) != MONTH_CHARGES + MONTH_PASSES:
        raise BenchmarkFailed(f"expected 20 lines, got {len(document.content['lines'])}")
    storage = document.file.storage

    def iteration(timer):
        with timer("20-line receipt: HTML → PDF/A-3b"):
            documents.render(document)
        Document.objects.filter(pk=document.pk).update(status=DocumentStatus.PENDING)
        previous = Document.objects.get(pk=document.pk).file.name
        with timer("20-line receipt: render task (row, render, store, ready)"):
            document_services.document_render(document_id=document.pk)
        storage.delete(previous)

    return measure(iteration, samples=min(samples, 40), warmup=min(warmup, 3), query_samples=2)


@benchmark(
    "receipt_year",
    targets=[Target("2,000 lines: our receipt", times=1.3, of="2,000 lines: bare HTML table")],
)
def receipt_year(*, samples: int, warmup: int):
    """A heavy member's year of card payments, 2,000 lines: composing the
    receipt from the database, rendering it, and WeasyPrint rendering a bare
    table of the same rows in the same font (target: ours ≤ 1.3 × bare). The
    labels carry the peak memory of each render (forked child) and the ratio."""
    today = japan_today()
    start = _japan(date(today.year - 1, today.month, 1))
    member = _payments("year", start=start, end=_japan(today), charges=YEAR_LINES - YEAR_PASSES, passes=YEAR_PASSES)
    content = documents.period_receipt(member, start=start.date(), end=today)
    if len(content.lines) != YEAR_LINES:
        raise BenchmarkFailed(f"expected {YEAR_LINES} lines, got {len(content.lines)}")
    header = pdf.Header(kind="receipt", number="R-000000-000000", language="ja", issued_at=datetime.now(UTC),
                        issuer_name="西日本旅客鉄道株式会社", registration_number="T1234567890123", addressee="山田 花子")
    period = pdf.Period(start=start.date(), end=today)
    ours_html = pdf.receipt_html(header=header, content=content, period=period)
    bare_html = bare_table_html(content)
    pdf.font_config()

    def ours():
        pdf.render_receipt(header=header, content=content, period=period)

    def bare():
        bare_render(bare_html)

    def iteration(timer):
        with timer("2,000 lines: compose from the database"):
            documents.period_receipt(member, start=start.date(), end=today)
        with timer("2,000 lines: our receipt (template + PDF/A-3b)"):
            ours()
        with timer("2,000 lines: bare HTML table, same rows and font"):
            bare()

    rows = measure(iteration, samples=min(samples, 3), warmup=min(warmup, 1), query_samples=1)
    _say("peak memory of each render, in a process of its own …")
    payload = {
        "header": {"kind": header.kind, "number": header.number, "language": header.language,
                   "issued_at": header.issued_at, "issuer_name": header.issuer_name,
                   "registration_number": header.registration_number, "addressee": header.addressee},
        "period": {"start": period.start, "end": period.end},
        "content": content.to_json(),
    }
    (ours_peak, ours_grown), (bare_peak, bare_grown) = _peak_memory_mib("ours", payload), _peak_memory_mib("bare", payload)
    ours_row, bare_row = rows[1], rows[2]
    ratio = statistics.median(ours_row.ms) / statistics.median(bare_row.ms)
    _say(f"ours/bare = {ratio:.2f}×; process peak {ours_peak:.0f} MiB (+{ours_grown:.0f}) vs {bare_peak:.0f} MiB "
         f"(+{bare_grown:.0f}); {len(ours_html) // 1024} KiB vs {len(bare_html) // 1024} KiB of HTML")
    return [
        rows[0],
        replace(ours_row, label=f"{ours_row.label}: {ratio:.2f}× bare; peak RSS {ours_peak:.0f} MiB (+{ours_grown:.0f})"),
        replace(bare_row, label=f"{bare_row.label}: peak RSS {bare_peak:.0f} MiB (+{bare_grown:.0f})"),
    ]


COMMUTE = [("大阪", "三ノ宮", 410), ("三ノ宮", "大阪", 410), ("大阪", "京都", 580), ("京都", "大阪", 580),
           ("新大阪", "西明石", 990), ("天王寺", "大阪", 190)]


def _commuter_year(member_key: str, *, start: datetime, end: datetime, lines: int) -> tuple[Member, Card]:
    """``lines`` uses of one card spread evenly over ``[start, end)``: mostly rides, every
    7th a bus, every 11th a purchase, with a running balance."""
    member, work, _shopping = _member(member_key)
    step = (end - start) / lines
    records, balance = [], 20_000
    for n in range(lines):
        at = start + step * n
        if n % 11 == 5:
            fields = {"kind": UsageKind.PURCHASE, "amount": -(120 + n * 37 % 900), "merchant": "駅ナカ売店 大阪駅"}
        elif n % 7 == 3:
            fields = {"kind": UsageKind.BUS, "amount": -230, "operator": "京都市バス"}
        else:
            origin, destination, fare = COMMUTE[n % len(COMMUTE)]
            fields = {"kind": UsageKind.RIDE, "amount": -fare, "from_station": origin, "to_station": destination}
        if balance + fields["amount"] < 0:
            balance = 20_000  # charged at a machine (not on the document)
        balance += fields["amount"]
        records.append(UsageRecord(center_id=f"U-{member_key}-{n:08d}", card=work, occurred_at=at,
                                   balance=balance, **fields))
    UsageRecord.objects.bulk_create(records, batch_size=1000)
    return member, work


def bare_usage_table_html(rows) -> str:
    """The usage history's rows as a plain table, in the same font, no styling."""
    faces = "".join(
        f'@font-face {{ font-family: "{face["family"]}"; src: url("{face["url"]}"); font-weight: {face["weight"]}; }}'
        for face in pdf.font_faces()
    )
    body = "".join(f"<tr><td>{r[0]}</td><td>{r[1]}</td><td>{r[2]}</td><td>{r[3]}</td><td>{r[4]}</td></tr>"
                   for r in rows)
    return (f'<html lang="ja"><head><meta charset="utf-8"><style>{faces} body {{ font-family: "BIZ UDPGothic"; }}'
            f"</style></head><body><table>{body}</table></body></html>")


@benchmark("usage_history_year")
def usage_history_year(*, samples: int, warmup: int):
    """A heavy commuter's year of usage on one card, 2,000 lines (~45 pages): composing
    the 利用履歴証明 from the database (the history's keyset reads), rendering it (template
    + PDF/A-3b), and WeasyPrint rendering a bare table of the same rows in the same font
    (target: ours ≤ 1.3 × bare)."""
    today = japan_today()
    first = date(today.year - 1, today.month, 1)
    member, work = _commuter_year("usage", start=_japan(first), end=_japan(today), lines=YEAR_LINES)
    cards = documents.usage_history_cards(member, str(work.public_id))
    scope = UsageHistoryScope(card=str(work.public_id))

    def compose():
        lines = documents.usage_history_lines(cards, start=first, end=today, kinds=scope.kinds)
        return compose_usage_history(
            lines, member_name="山田 花子", period_start=first, period_end=today, scope=scope,
            cards=documents.history_cards(cards),
        )

    content = compose()
    if len(content.lines) != YEAR_LINES:
        raise BenchmarkFailed(f"expected {YEAR_LINES} lines, got {len(content.lines)}")
    header = pdf.Header(kind="usage_history", number="H-000000-000000", language="ja", issued_at=datetime.now(UTC),
                        issuer_name="西日本旅客鉄道株式会社", registration_number="T1234567890123", addressee="山田 花子")
    bare_html = bare_usage_table_html(pdf.usage_history_rows(content, "ja"))
    pdf.font_config()

    def iteration(timer):
        with timer("usage history, 2,000 lines: compose from the database"):
            compose()
        with timer("usage history, 2,000 lines: ours (template + PDF/A-3b)"):
            pdf.render_usage_history(header=header, content=content)
        with timer("usage history, 2,000 lines: bare HTML table, same rows and font"):
            bare_render(bare_html)

    rows = measure(iteration, samples=min(samples, 5), warmup=min(warmup, 1), query_samples=1)
    ours_row, bare_row = rows[1], rows[2]
    ratio = statistics.median(ours_row.ms) / statistics.median(bare_row.ms)
    _say(f"usage history: ours/bare = {ratio:.2f}×")
    return [rows[0], replace(ours_row, label=f"{ours_row.label}: {ratio:.2f}× bare"), bare_row]


@benchmark("worker_throughput")
def worker_throughput(*, samples: int, warmup: int):
    """One worker process making month receipts one after another: each row is
    one document from request to e-mail (compose, render, store, mark ready,
    send the PDF); the label gives documents per minute at the median."""
    _year, _month_number, first, last = _month()
    member = _payments("worker", start=_japan(first), end=_japan(last), charges=MONTH_CHARGES, passes=MONTH_PASSES)
    days = iter(range(10_000))

    def iteration(timer):
        end = first + timedelta(days=next(days) % 28)
        Document.objects.filter(member=member, period_end=end).delete()  # a new document each time
        with timer("month receipt, request → PDF → e-mail"):
            document = document_services.receipt_request(member=member, start=first, end=end).document
        _ready(document)

    rows = measure(iteration, samples=min(samples, 30), warmup=min(warmup, 2), query_samples=1)
    per_minute = 60_000 / statistics.median(rows[0].ms)
    _say(f"one worker: {per_minute:.0f} documents per minute")
    return [replace(rows[0], label=f"{rows[0].label}: {per_minute:.0f} documents/minute")]
