"""The support center at scale: member search (each kind of key) and the
member page, as an agent, with 2,000,000 members and 10,000,000 usage rows.

The members, their cards and the usage rows are generated inside the
database with ``INSERT … SELECT`` over ``generate_series`` (PostgreSQL; a
recursive CTE on SQLite, with fewer rows): names from lists of family and
given names in kanji (one in seven in kana), e-mail addresses and WESTER IDs
from the row number, one card per member and a second card for every third.
The search indexes (support/0001) and the history index are dropped before
the load and built after it, as a bulk load would do. When another benchmark
(history) has loaded usage rows already, only the missing ones are added.

``BENCH_SUPPORT_MEMBERS`` and ``BENCH_SUPPORT_USAGE`` set the numbers
(defaults 2,000,000 and 10,000,000 on PostgreSQL; 20,000 and 200,000 on SQLite).
"""

from __future__ import annotations

import os
import re
import sys
import time
from datetime import UTC, datetime, timedelta

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.apps import apps
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, Member
from bench import Target, benchmark
from bench.measure import BenchmarkFailed, expect, measure
from billing.models import Document, PaymentMethod
from cards import partitions
from cards.models import Card, CommuterPass, PointsEntry, UsageRecord
from cards.window import JAPAN, earliest_date, japan_today
from support import roles

FAMILY = ["山田", "田中", "佐藤", "鈴木", "高橋", "伊藤", "渡辺", "中村", "小林", "加藤", "吉田", "山本", "松本", "井上",
          "木村", "林", "清水", "山崎", "森", "池田", "橋本", "阿部", "石川", "前田", "藤田", "小川", "岡田", "後藤",
          "長谷川", "村上", "近藤", "坂本", "遠藤", "青木", "藤井", "西村", "福田", "太田", "三浦", "藤原"]
GIVEN = ["花子", "太郎", "陽菜", "蓮", "結衣", "大翔", "美咲", "悠真", "さくら", "湊", "葵", "樹", "凛", "陽翔", "芽依",
         "蒼", "結菜", "朝陽", "杏", "律", "美桜", "大和", "心春", "颯", "紬", "健太", "由美", "誠", "恵子", "翔太"]
# The romaji WESTER ID gives, in the order of FAMILY and GIVEN.
FAMILY_ROMAJI = ["YAMADA", "TANAKA", "SATO", "SUZUKI", "TAKAHASHI", "ITO", "WATANABE", "NAKAMURA", "KOBAYASHI", "KATO",
                 "YOSHIDA", "YAMAMOTO", "MATSUMOTO", "INOUE", "KIMURA", "HAYASHI", "SHIMIZU", "YAMAZAKI", "MORI",
                 "IKEDA", "HASHIMOTO", "ABE", "ISHIKAWA", "MAEDA", "FUJITA", "OGAWA", "OKADA", "GOTO", "HASEGAWA",
                 "MURAKAMI", "KONDO", "SAKAMOTO", "ENDO", "AOKI", "FUJII", "NISHIMURA", "FUKUDA", "OTA", "MIURA",
                 "FUJIWARA"]
GIVEN_ROMAJI = ["HANAKO", "TARO", "HINA", "REN", "YUI", "HIROTO", "MISAKI", "YUMA", "SAKURA", "MINATO", "AOI", "ITSUKI",
                "RIN", "HARUTO", "MEI", "AO", "YUNA", "ASAHI", "AN", "RITSU", "MIO", "YAMATO", "KOHARU", "HAYATE",
                "TSUMUGI", "KENTA", "YUMI", "MAKOTO", "KEIKO", "SHOTA"]
FAMILY_KANA = ["やまだ", "たなか", "さとう", "すずき", "たかはし", "いとう", "わたなべ", "なかむら"]
GIVEN_KANA = ["はなこ", "たろう", "ひな", "れん", "ゆい", "ひろと", "みさき", "ゆうま"]
CHUNK = 1_000_000
NEXT = re.compile(r'href="(\?before=[^"]+)" rel="next"')


def _say(line: str) -> None:
    print(f"bench: support: {line}", file=sys.stderr, flush=True)


def _numbers() -> tuple[int, int]:
    postgres = connection.vendor == "postgresql"
    members = int(os.environ.get("BENCH_SUPPORT_MEMBERS", 2_000_000 if postgres else 20_000))
    usage = int(os.environ.get("BENCH_SUPPORT_USAGE", 10_000_000 if postgres else 200_000))
    return members, usage


def _array(words: list[str]) -> str:
    assert all("'" not in word for word in words)
    return "ARRAY[" + ", ".join(f"'{word}'" for word in words) + "]"


def _pick(words: list[str], expression: str) -> str:
    if connection.vendor == "postgresql":
        return f"({_array(words)})[({expression}) % {len(words)} + 1]"
    branches = " ".join(f"WHEN {n} THEN '{word}'" for n, word in enumerate(words))
    return f"(CASE ({expression}) % {len(words)} {branches} END)"


def _series(first: int, last: int) -> tuple[str, str]:
    """(WITH-prefix, FROM-source) for rows g = first … last."""
    if connection.vendor == "postgresql":
        return "", f"generate_series({first}::bigint, {last}::bigint) AS s(g)"
    return f"WITH RECURSIVE s(g) AS (SELECT {first} UNION ALL SELECT g + 1 FROM s WHERE g < {last}) ", "s"  # noqa: S608


def _concat(*parts: str) -> str:
    return " || ".join(parts)


def _pad(expression: str, width: int) -> str:
    if connection.vendor == "postgresql":
        return f"lpad(({expression})::text, {width}, '0')"
    return f"substr('{'0' * width}' || ({expression}), -{width}, {width})"


SEARCH_INDEXES = (
    ("member_name_trgm", "accounts_member USING gin (name gin_trgm_ops)"),
    ("member_name_prefix", "accounts_member (name varchar_pattern_ops)"),
    ("member_email_trgm", "accounts_member USING gin (upper(email) gin_trgm_ops)"),
    ("card_icoca_tail", "cards_card (reverse(icoca_number) text_pattern_ops)"),
    ("member_last_name_upper", "accounts_member (upper(last_name) text_pattern_ops)"),
    ("member_first_name_upper", "accounts_member (upper(first_name) text_pattern_ops)"),
)


def _execute(sql: str) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute(sql)


def _load_members(count: int) -> tuple[int, int]:
    """``count`` members; returns the first and last id."""
    now = timezone.now().isoformat()
    kana = "s.g % 7 = 0"
    family = f"CASE WHEN {kana} THEN {_pick(FAMILY_KANA, 's.g / 7')} ELSE {_pick(FAMILY, 's.g')} END"
    given = f"CASE WHEN {kana} THEN {_pick(GIVEN_KANA, 's.g / 56')} ELSE {_pick(GIVEN, 's.g / 40')} END"
    before = Member.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    for first in range(1, count + 1, CHUNK):
        last = min(first + CHUNK - 1, count)
        prefix, source = _series(first, last)
        _execute(
            f"{prefix}INSERT INTO accounts_member (password, is_superuser, username, first_name, last_name, email, "  # noqa: S608
            "is_staff, is_active, date_joined, wester_id, name, language, email_pass_reminders, email_monthly_statement, "
            "last_sign_in_device, previous_sign_in_device, card_name) "
            f"SELECT '!', false, {_concat(repr('bench-m-'), 's.g')}, {_pick(GIVEN_ROMAJI, 's.g / 40')}, "
            f"{_pick(FAMILY_ROMAJI, 's.g')}, "
            f"{_concat(repr('user'), 's.g', repr('@example'), '(s.g % 97)', repr('.jp'))}, false, true, '{now}', "
            f"{_concat(repr('W'), _pad('s.g', 9))}, {_concat(family, repr(' '), given)}, 'ja', true, false, '', '', '' "
            f"FROM {source}"
        )
    ids = Member.objects.filter(pk__gt=before, username__startswith="bench-m-")
    return ids.order_by("pk").values_list("pk", flat=True).first(), ids.order_by("-pk").values_list("pk", flat=True).first()


def _load_cards(first_member: int, members: int) -> tuple[int, int]:
    """One card per member and a second for every third: numbers JW8 + 14 digits."""
    cards = members + members // 3
    issued = (timezone.now() - timedelta(days=500)).isoformat()
    before = Card.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    uuid = "gen_random_uuid()" if connection.vendor == "postgresql" else "lower(hex(randomblob(16)))"
    for first in range(1, cards + 1, CHUNK):
        last = min(first + CHUNK - 1, cards)
        prefix, source = _series(first, last)
        _execute(
            f"{prefix}INSERT INTO cards_card (public_id, icoca_number, member_id, nickname, device, status, issued_at, "  # noqa: S608
            "balance, balance_at, created_at, updated_at) "
            f"SELECT {uuid}, {_concat(repr('JW8'), _pad('s.g', 14))}, {first_member} + (s.g - 1) % {members}, "
            f"CASE WHEN s.g > {members} THEN '買い物用' ELSE '' END, "
            "CASE WHEN s.g % 3 = 0 THEN 'android' ELSE 'iphone' END, 'active', "
            f"'{issued}', (s.g * 37) % 20001, '{issued}', '{issued}', '{issued}' FROM {source}"
        )
    ids = Card.objects.filter(pk__gt=before)
    return ids.order_by("pk").values_list("pk", flat=True).first(), cards


def _load_usage(rows: int, first_card: int | None, cards: int) -> None:
    if rows <= 0:
        return  # another benchmark (history) loaded them already
    if not cards:
        first_card = Card.objects.order_by("pk").values_list("pk", flat=True).first()
        cards = Card.objects.count()
    today = japan_today()
    first_day = earliest_date(today)
    partitions.ensure_usage_partitions(first=first_day, last=partitions.add_months(today, 1))
    start = datetime(first_day.year, first_day.month, first_day.day, tzinfo=JAPAN).astimezone(UTC)
    seconds = (datetime.now(UTC) - timedelta(minutes=5) - start).total_seconds()
    step = seconds / rows
    for first in range(1, rows + 1, CHUNK):
        last = min(first + CHUNK - 1, rows)
        prefix, source = _series(first, last)
        if connection.vendor == "postgresql":
            at = f"TIMESTAMPTZ '{start.isoformat()}' + make_interval(secs => s.g * {step!r})"
        else:
            at = f"strftime('%Y-%m-%d %H:%M:%f', {start.timestamp()!r} + s.g * {step!r}, 'unixepoch')"
        _execute(
            f"{prefix}INSERT INTO cards_usagerecord (center_id, card_id, occurred_at, kind, amount, balance, "  # noqa: S608
            "from_station, to_station, operator, merchant, place, note, payment_method, payment_brand, payment_last4) "
            f"SELECT {_concat(repr('S-'), 's.g')}, {first_card} + (s.g * 7919) % {cards}, {at}, 'ride', "
            "-(140 + (s.g % 9) * 60), (s.g * 37) % 20001, '大阪', '京都', '', '', '', '', '', '', '' "
            f"FROM {source}"
        )
        _say(f"{last:,} usage rows")


def _drop_indexes() -> str | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        for name, _target in SEARCH_INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'cards_usagerecord' AND indexname = 'usage_card_time'"
        )
        found = cursor.fetchone()
        if found:
            cursor.execute("DROP INDEX usage_card_time")
    return found[0].replace(" ON ONLY ", " ON ", 1) if found else None


def _build_indexes(history_index: str | None) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for name, target in SEARCH_INDEXES:
            started = time.monotonic()
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")
            _say(f"index {name} in {time.monotonic() - started:.0f} s")
        if history_index:
            started = time.monotonic()
            cursor.execute(history_index)
            _say(f"index usage_card_time in {time.monotonic() - started:.0f} s")
        cursor.execute("ANALYZE")


def _heavy_member(first_card_number: int) -> Member:
    """The caller on the line: three cards (one lost), a pass a month, a year
    of usage, payment cards, documents in every state, a long audit trail."""
    member = Member.objects.create(
        username="bench-support-heavy", wester_id="bench-support-heavy", name="山田 花子", email="hanako@example.jp",
        password="!",  # noqa: S106 (Django's mark for "no password")
    )
    issued = timezone.now() - timedelta(days=400)
    cards = [
        Card.objects.create(member=member, icoca_number=f"JW9{first_card_number + n:014d}", nickname=nick,
                            device=device, status="active", issued_at=issued, balance=4210)
        for n, (nick, device) in enumerate((("仕事用", "iphone"), ("買い物用", "iphone"), ("時計", "apple_watch")))
    ]
    for month in range(12):
        paid = issued + timedelta(days=30 * month + 40)
        CommuterPass.objects.create(
            center_id=f"P-SUP-{month}", card=cards[0], kind="commuter", from_station="大阪", to_station="三ノ宮",
            valid_from=paid.date(), valid_until=paid.date() + timedelta(days=29), months=1, price=12970,
            fare_1_month=12970, fare_3_months=36960, fare_6_months=70040, paid_at=paid, payment_method="card",
            payment_brand="VISA", payment_last4="4242", digest="0" * 64,
        )
    now = timezone.now()
    UsageRecord.objects.bulk_create(
        UsageRecord(center_id=f"U-SUP-{n}", card=cards[n % 3], occurred_at=now - timedelta(hours=n * 1.5),
                    kind="ride", amount=-580, balance=4210, from_station="大阪", to_station="京都")
        for n in range(5000)
    )
    for n in range(4):
        PaymentMethod.objects.create(
            member=member, provider="sandbox", token=f"tok_bench_{n}", brand="VISA", last4=f"424{n}", exp_month=12,
            exp_year=2030, funding="credit", holder_name="HANAKO YAMADA", is_default=n == 0,
        )
    for n in range(40):
        status = ("ready", "failed", "pending")[n % 3]
        Document.objects.create(
            member=member, kind="receipt", number=f"R-BENCH-{n:06d}", language="ja", content={}, total_amount=3000,
            issuer_name="西日本旅客鉄道株式会社", issuer_registration_number="T1234567890123", status=status,
            file="documents/bench.pdf" if status == "ready" else "", sha256="0" * 64 if status == "ready" else "",
            first_issued_at=now if status == "ready" else None, emailed_at=now if status == "ready" else None,
        )
    AuditEvent.objects.bulk_create(
        AuditEvent(actor=member, member=member, action="card.rename", detail={}) for _ in range(300)
    )
    PointsEntry.objects.bulk_create(
        PointsEntry(center_id=f"PT-SUP-{n}", member=member, occurred_at=now - timedelta(days=n), kind="earn",
                    points=12, category="乗車ポイント", digest="0" * 64)
        for n in range(300)
    )
    return member


def _agent() -> Member:
    if not Group.objects.filter(name=roles.AGENT).exists():
        roles.groups_sync(apps)
    staff = Member.objects.create(username="bench-agent", is_staff=True, password="!")  # noqa: S106
    staff.groups.add(Group.objects.get(name=roles.AGENT))
    TOTP.activate(staff, generate_totp_secret())
    return staff


def load() -> dict[str, object]:
    members, usage = _numbers()
    started = time.monotonic()
    history_index = _drop_indexes()
    have_members = Member.objects.count()
    loaded = max(0, members - have_members)
    first_member, _last = _load_members(loaded)
    _say(f"{Member.objects.count():,} members ({time.monotonic() - started:.0f} s)")
    first_card, cards = _load_cards(first_member, loaded)
    _say(f"{cards:,} cards ({time.monotonic() - started:.0f} s)")
    have_usage = UsageRecord.objects.count()
    _load_usage(max(0, usage - have_usage), first_card, cards)
    _say(f"{UsageRecord.objects.count():,} usage rows ({time.monotonic() - started:.0f} s)")
    heavy = _heavy_member(10**13)
    _build_indexes(history_index)
    _say(f"loaded and indexed in {time.monotonic() - started:.0f} s")
    if loaded < 1000:
        raise BenchmarkFailed(f"only {loaded} members generated: raise BENCH_SUPPORT_MEMBERS")
    return {"heavy": heavy, "loaded": loaded, "members": Member.objects.count(), "usage": UsageRecord.objects.count()}


@benchmark(
    "support_search_and_member_page",
    targets=[Target("search: ", "p95", at_most_ms=300), Target("member page", "p95", at_most_ms=300)],
)
def support_search_and_member_page(*, samples: int, warmup: int):
    """サポートセンター as a support agent (TOTP, force_login) with 2,000,000 members and 10,000,000
    usage rows (PostgreSQL; `BENCH_SUPPORT_MEMBERS`, `BENCH_SUPPORT_USAGE`): the member list answering
    one search of each kind (WESTER ID, a part of a name (3+ characters, kanji and kana), a 2-character
    family or given name, a part of an e-mail address, a whole ICOCA number, its last 4 and last 6
    characters, a name nobody has, romaji HANAKO, Yamada, yamada hanako; each member listed is audited), then the member page of a member with 3 cards, 12 passes, 5,000 usage
    rows, 40 documents, 300 points entries and 300 audit entries, its second usage page (keyset) and its
    usage of one card in one month; every search result and page view writes its audit entries."""
    data = load()
    heavy = data["heavy"]
    client = Client()
    client.force_login(_agent())
    changelist = reverse("admin:accounts_member_changelist")
    sample = data["loaded"] * 617 // 1000  # a generated member's row number (g)
    number = f"JW8{sample:014d}"
    searches = [
        ("WESTER ID", f"W{sample:09d}", f"W{sample:09d}"),
        ("name part, 3+ chars (中村 結)", "中村 結", "中村 結"),
        ("name part, kana (やまだ は)", "やまだ は", "やまだ はなこ"),
        ("name, 2 chars (花子)", "花子", "花子"),
        ("e-mail part", f"user{sample}@", f"user{sample}@"),
        ("ICOCA number, 17 chars", number, f"W{sample:09d}"),
        ("ICOCA number, last 6", number[-6:], f"W{sample:09d}"),
        ("ICOCA number, last 4", number[-4:], "result_list"),
        ("name nobody has", "存在しない名前", "0 会員"),
        ("romaji, given name (HANAKO)", "HANAKO", "result_list"),
        ("romaji, family name (Yamada)", "Yamada", "result_list"),
        ("romaji, both (yamada hanako)", "yamada hanako", "result_list"),
    ]

    heavy_card = Card.objects.filter(member=heavy).order_by("pk").values_list("pk", flat=True).first()
    last_month = japan_today().replace(day=1) - timedelta(days=1)
    month = f"{last_month.year:04d}-{last_month.month:02d}"

    def iteration(timer):
        for label, term, shown in searches:
            with timer(f"search: {label}"):
                response = client.get(changelist, {"q": term})
            expect(response, 200, contains=shown)
        page = reverse("admin:accounts_member_change", args=[heavy.pk])
        with timer("member page (first)"):
            response = client.get(page)
        expect(response, 200, contains="さらに前の利用")
        found = NEXT.search(response.content.decode())
        if not found:
            raise BenchmarkFailed("no さらに前の利用 link")
        with timer("member page (usage page 2)"):
            response = client.get(page + found.group(1).replace("&amp;", "&"))
        expect(response, 200, contains="最新に戻る")
        with timer("member page (usage of one card, one month)"):
            response = client.get(page, {"card": heavy_card, "month": month})
        expect(response, 200, contains="絞り込みをやめる")

    results = measure(iteration, samples=samples, warmup=warmup)
    if not AuditEvent.objects.filter(member=heavy, action="support.member_view").exists():
        raise BenchmarkFailed("the member page views were not audited")
    if not AuditEvent.objects.filter(action="support.member_view", detail__page="search").exists():
        raise BenchmarkFailed("the search results were not audited")
    return results
