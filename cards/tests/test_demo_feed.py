"""The demo feed (cards/demo_feed/): every line is a valid FEED.md line, the money adds up
the way the importer checks it, and the demo shows what it promises (plain functions, no
database); then seed_demo imports it for real through import_feed."""

from __future__ import annotations

import dataclasses
import io
import itertools
import json
import re
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.demo import DEMO_MEMBERS
from cards.demo_feed import (
    DEFAULT_SEED,
    JAPAN,
    MAX_BALANCE,
    STATIONS,
    anchor_card_number,
    dump,
    fare,
    fare_with_pass,
    generate_feed,
    history_start,
    write_feed,
)
from cards.feed.parsing import parse_line
from cards.refunds import PassTerms, compute_refund

NOW = datetime(2026, 11, 25, 21, 30, tzinfo=JAPAN)
START = date(2025, 10, 1)
DEMO_SUBS = {member["sub"] for member in DEMO_MEMBERS}
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def feed() -> list[dict]:
    return list(generate_feed(now=NOW))


def of_type(feed: list[dict], record_type: str) -> list[dict]:
    return [record for record in feed if record["type"] == record_type]


def japan(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(JAPAN)


def cards_by_number(feed):
    return {card["icoca_number"]: card for card in of_type(feed, "card")}


def usage_by_card(feed) -> dict[str, list[dict]]:
    usage = defaultdict(list)
    for record in of_type(feed, "usage"):
        usage[record["icoca_number"]].append(record)
    return usage


# -- every line is a FEED.md line -------------------------------------------------------------


def test_every_line_parses(feed):
    assert len(feed) > 2000
    for record in feed:
        line = dump(record)
        assert "\n" not in line
        parsed = parse_line(line)
        assert parsed.type == record["type"]


def test_ids_are_unique_per_type_and_at_most_64_characters(feed):
    keys = defaultdict(list)
    for record in feed:
        keys[record["type"]].append(record["icoca_number"] if record["type"] == "card" else record["id"])
    for record_type, values in keys.items():
        assert len(values) == len(set(values)), record_type
        assert all(1 <= len(value) <= 64 for value in values)


def test_icoca_numbers_have_17_characters_not_feed_mds_18(feed):
    for card in of_type(feed, "card"):
        assert len(card["icoca_number"]) == 17


def test_times_are_japan_time_from_the_start_of_the_history_up_to_now(feed):
    assert history_start(NOW) == START
    times = []
    for record in feed:
        for name in ("at", "paid_at", "issued_at"):
            if name in record:
                assert record[name].endswith("+09:00")
                times.append(japan(record[name]))
    assert min(times).date() == START
    assert max(times) <= NOW
    assert max(times) > NOW - timedelta(days=2)


def test_records_refer_to_cards_and_members_of_the_feed(feed):
    cards = cards_by_number(feed)
    for record in feed:
        if "icoca_number" in record:
            assert record["icoca_number"] in cards
        if record["type"] == "points":
            assert record["wester_id"] in DEMO_SUBS
    for record in of_type(feed, "usage") + of_type(feed, "refund"):
        assert japan(record["at"]) >= japan(cards[record["icoca_number"]]["issued_at"])


# -- money ------------------------------------------------------------------------------------


def test_balances_follow_each_usage_line(feed):
    check_balances(feed)


def check_balances(feed):
    cards = cards_by_number(feed)
    last_balance = {}
    for number, records in usage_by_card(feed).items():
        replaces = cards[number]["replaces"]
        previous = last_balance[replaces] if replaces else 0
        if not replaces:
            assert records[0]["kind"] == "charge" and records[0]["amount"] >= 1000, "a first charge is ¥1,000 or more"
        times = [japan(record["at"]) for record in records]
        assert times == sorted(times) and len(set(times)) == len(times)
        for record in records:
            assert record["balance"] == previous + record["amount"], record["id"]
            assert 0 <= record["balance"] <= MAX_BALANCE
            previous = record["balance"]
        last_balance[number] = previous


def test_usage_kinds_and_their_amounts(feed):
    usage = of_type(feed, "usage")
    kinds = Counter(record["kind"] for record in usage)
    assert set(kinds) == {"ride", "bus", "purchase", "charge", "point_charge", "adjustment"}
    assert kinds["ride"] > 500 and kinds["purchase"] > 500 and kinds["bus"] > 300
    rides = [record for record in usage if record["kind"] == "ride"]
    assert {record["from"] for record in rides} | {record["to"] for record in rides} <= set(STATIONS)
    assert all(160 <= -record["amount"] <= 1520 for record in rides)
    # 大阪–京都 is ¥580, or ¥420 from 高槻 with a pass for 高槻⇔大阪 (乗り越し).
    assert {-record["amount"] for record in rides if {record["from"], record["to"]} == {"大阪", "京都"}} == {580, 420}
    merchants = {record["merchant"] for record in usage if record["kind"] == "purchase"}
    assert "駅ナカ売店 大阪駅" in merchants
    assert any(name.startswith("コンビニ") for name in merchants)
    assert any(name.startswith("カフェ") for name in merchants)
    assert {record["operator"] for record in usage if record["kind"] == "bus"} >= {"高槻市営バス", "奈良交通"}
    charges = [record for record in usage if record["kind"] == "charge"]
    assert {record["payment"]["method"] for record in charges} == {"card", "cash"}
    assert {record["payment"].get("brand") for record in charges} - {None} == {"VISA", "JCB", "MASTERCARD", "AMEX"}
    assert "大阪駅 券売機" in {record.get("place") for record in charges}
    assert all(record["amount"] in (1000, 2000, 3000, 5000, 10000) for record in charges)


def test_a_double_deduction_is_adjusted(feed):
    (adjustment,) = [record for record in of_type(feed, "usage") if record["kind"] == "adjustment"]
    assert adjustment["amount"] == fare("大阪", "京都") and adjustment["note"]
    rides = [record for record in usage_by_card(feed)[adjustment["icoca_number"]] if record["kind"] == "ride"]
    doubled = [
        (first, second) for first, second in itertools.pairwise(rides)
        if (first["from"], first["to"]) == (second["from"], second["to"])
        and japan(second["at"]) - japan(first["at"]) < timedelta(minutes=1)
    ]
    ((first, second),) = doubled
    assert (first["from"], first["to"]) == ("大阪", "京都")
    assert timedelta(days=2) < japan(adjustment["at"]) - japan(second["at"]) < timedelta(days=4)


def test_the_refund_adds_up_as_the_importer_checks_it(feed):
    (refund,) = of_type(feed, "refund")
    passes = {record["id"]: record for record in of_type(feed, "pass")}
    bought = passes[refund["pass_id"]]
    assert bought["icoca_number"] == refund["icoca_number"]
    terms = PassTerms(
        valid_from=date.fromisoformat(bought["valid_from"]), valid_until=date.fromisoformat(bought["valid_until"]),
        months=bought["months"], price=bought["price"], fares={int(k): v for k, v in bought["fares"].items()},
    )
    breakdown = compute_refund(balance=refund["balance"], terms=terms, refund_date=japan(refund["at"]).date())
    assert refund["fee"] == 220
    assert refund["total"] == breakdown.total == max(0, refund["balance"] + breakdown.pass_part - 220)
    # A pass refunded in its second month: a part of it comes back, priced at pass fares.
    assert breakdown.months_used == 2 and breakdown.pass_part == bought["price"] - 2 * bought["fares"]["1"] > 0
    # The balance paid out is the card's last balance, and the card is closed.
    usage = usage_by_card(feed)[refund["icoca_number"]]
    assert refund["balance"] == usage[-1]["balance"]
    assert japan(usage[-1]["at"]) < japan(refund["at"])
    assert cards_by_number(feed)[refund["icoca_number"]]["status"] == "refunded"
    assert refund["destination"] == {"method": "bank"}  # the pass was paid in cash
    assert bought["payment"] == {"method": "cash"}


def test_the_reissued_card_chain(feed):
    cards = cards_by_number(feed)
    (old,) = [card for card in cards.values() if card["status"] == "reissued"]
    (new,) = [card for card in cards.values() if card["replaces"] == old["icoca_number"]]
    assert new["status"] == "active" and new["wester_id"] == old["wester_id"] and new["device"] == old["device"]
    usage = usage_by_card(feed)
    assert japan(usage[old["icoca_number"]][-1]["at"]) < japan(new["issued_at"]) <= japan(usage[new["icoca_number"]][0]["at"])
    first = usage[new["icoca_number"]][0]
    assert first["balance"] - first["amount"] == usage[old["icoca_number"]][-1]["balance"]
    # The pass carries over: renewals before the loss are on the old card, after it on the new.
    renewals = [record for record in of_type(feed, "pass") if record["icoca_number"] in (old["icoca_number"], new["icoca_number"])]
    assert {record["icoca_number"] for record in renewals} == {old["icoca_number"], new["icoca_number"]}


def test_pass_renewals_follow_each_other(feed):
    passes = of_type(feed, "pass")
    assert {record["kind"] for record in passes} == {"commuter", "student"}
    assert {record["months"] for record in passes} == {1, 3, 6}
    assert {record["payment"]["method"] for record in passes} == {"card", "cash", "points"}
    hanako = [record for record in passes if record["from"] == "大阪" and record["to"] == "三ノ宮"]
    assert hanako and all(
        record["via"] == "JR神戸線" and record["fares"] == {"1": 12970, "3": 36960, "6": 70040} for record in hanako
    )
    cards = cards_by_number(feed)
    by_member = defaultdict(list)
    for record in passes:
        by_member[cards[record["icoca_number"]]["wester_id"]].append(record)
        assert record["price"] == record["fares"][str(record["months"])]
        assert japan(record["paid_at"]).date() <= date.fromisoformat(record["valid_from"])
    for records in by_member.values():
        for before, after in itertools.pairwise(records):
            assert date.fromisoformat(after["valid_from"]) == date.fromisoformat(before["valid_until"]) + timedelta(days=1)


def test_points_ledger(feed):
    points = of_type(feed, "points")
    assert {record["kind"] for record in points} == {"earn", "charge", "expire", "adjust"}
    balance = Counter()
    for record in points:
        balance[record["wester_id"]] += record["points"]
        assert balance[record["wester_id"]] >= 0
    monthly = [record for record in points if record["category"] == "ride_count"]
    assert {record["wester_id"] for record in monthly} == DEMO_SUBS
    assert all(japan(record["at"]).day == 6 for record in monthly)
    # A point charge is a usage line and a points line at the same time, for the same amount.
    charges = {(record["at"], record["amount"]) for record in of_type(feed, "usage") if record["kind"] == "point_charge"}
    spent = {(record["at"], -record["points"]) for record in points if record["kind"] == "charge"}
    assert charges == spent and charges
    # A pass paid with points takes them from the ledger.
    (paid,) = [record for record in of_type(feed, "pass") if record["payment"]["method"] == "points"]
    assert any(record["kind"] == "adjust" and record["points"] == -paid["price"] for record in points)


def test_the_demo_members_and_their_cards(feed):
    cards = of_type(feed, "card")
    per_member = Counter(card["wester_id"] for card in cards)
    assert set(per_member) == DEMO_SUBS
    assert all(1 <= count <= 3 for count in per_member.values())
    assert {card["device"] for card in cards} == {"android", "iphone", "apple_watch"}
    assert {card["status"] for card in cards} == {"active", "reissued", "refunded", "deposited"}
    anchor = cards_by_number(feed)[anchor_card_number()]
    assert japan(anchor["issued_at"]).date() == START and anchor["wester_id"] == DEMO_MEMBERS[0]["sub"]


# -- fares ------------------------------------------------------------------------------------


def test_fares_grow_with_distance_and_passes_cover_their_section():
    assert fare("大阪", "京都") == 580 and fare("大阪", "姫路") == 1520 and fare("大阪", "新大阪") == 170
    assert all(160 <= fare(a, b) <= 1520 for a in STATIONS for b in STATIONS if a != b)
    assert fare("大阪", "尼崎") < fare("大阪", "芦屋") < fare("大阪", "西明石") < fare("大阪", "姫路")
    section = ("大阪", "三ノ宮")
    assert fare_with_pass(section, "三ノ宮", "大阪") == 0
    assert fare_with_pass(section, "尼崎", "芦屋") == 0
    assert fare_with_pass(section, "大阪", "西明石") == fare("三ノ宮", "西明石")  # 乗り越し
    assert fare_with_pass(section, "京都", "三ノ宮") == fare("京都", "大阪")
    assert fare_with_pass(section, "京都", "奈良") == fare("京都", "奈良")


# -- determinism and scale ----------------------------------------------------------------------


def test_the_same_seed_gives_the_same_feed(feed):
    assert [dump(record) for record in generate_feed(now=NOW)] == [dump(record) for record in feed]
    other = list(generate_feed(now=NOW, seed="another"))
    assert not set(cards_by_number(other)) & set(cards_by_number(feed))


def test_a_later_now_only_adds_records(feed):
    """What make run relies on: with the same start, a later run repeats every record with an id
    exactly (replays are 'unchanged', never conflicts); only card lines may change status."""
    later = list(generate_feed(now=NOW + timedelta(days=40, hours=5), start=START))
    keyed = {(record["type"], record.get("id")): record for record in later if record["type"] != "card"}
    for record in feed:
        if record["type"] != "card":
            assert keyed[record["type"], record["id"]] == record
    assert len(keyed) > len(feed) - len(of_type(feed, "card"))
    earlier_cards, later_cards = cards_by_number(feed), cards_by_number(later)
    for number, card in earlier_cards.items():
        assert {k: v for k, v in later_cards[number].items() if k not in ("status", "device")} == {
            k: v for k, v in card.items() if k not in ("status", "device")
        }


def test_extra_members_do_not_change_the_demo_members(feed):
    more = list(generate_feed(now=NOW, members=5))
    assert more[: len(feed)] == feed
    subs = {card["wester_id"] for card in of_type(more, "card")}
    assert subs == DEMO_SUBS | {"bench-000001", "bench-000002"}


def test_fewer_members():
    assert {card["wester_id"] for card in of_type(list(generate_feed(now=NOW, members=1)), "card")} == {"demo-hanako"}
    with pytest.raises(ValueError, match="at least 1"):
        list(generate_feed(now=NOW, members=0))
    with pytest.raises(ValueError, match="aware"):
        list(generate_feed(now=NOW.replace(tzinfo=None)))


STREAM_SCRIPT = """
import json, resource, sys
from datetime import date, datetime
from cards.demo_feed import write_feed
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
counts = write_feed(sys.argv[1], now=datetime.fromisoformat(sys.argv[2]), members=int(sys.argv[3]),
                    start=date.fromisoformat(sys.argv[4]))
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(json.dumps({"counts": counts, "grown_kib": grown}))
"""


def test_many_members_stream_to_a_file_in_constant_memory(tmp_path):
    """2,000 members over a month (about 100,000 lines) in a process of its own, whose peak
    memory hardly grows: lines go to the file as they are made, nothing is kept per member."""
    members, path = 2000, tmp_path / "feed.jsonl"
    start = (NOW - timedelta(days=30)).date()
    done = subprocess.run(
        [sys.executable, "-c", STREAM_SCRIPT, str(path), NOW.isoformat(), str(members), start.isoformat()],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=True,
    )
    report = json.loads(done.stdout)
    counts = Counter(report["counts"])
    types, wester_ids = Counter(), set()
    with path.open(encoding="utf-8") as stream:
        for line in stream:
            record = json.loads(line)
            types[record["type"]] += 1
            if record["type"] == "card":
                wester_ids.add(record["wester_id"])
    assert types == counts
    assert len(wester_ids) == members
    assert members <= counts["card"] <= 3 * members
    assert 20 * members < counts["usage"] < 100 * members  # a month of taps, cards issued through it
    assert not path.with_name(path.name + ".partial").exists()
    size_kib = path.stat().st_size // 1024
    assert size_kib > 15_000
    assert report["grown_kib"] < min(16_000, size_kib // 4), report


def test_generated_members_lines_parse_and_add_up():
    feed = list(generate_feed(now=NOW, members=63, start=(NOW - timedelta(days=120)).date()))
    for record in feed:
        parse_line(dump(record))
    check_balances(feed)
    assert {record["kind"] for record in of_type(feed, "usage")} >= {"ride", "bus", "purchase", "charge"}
    assert len({record["wester_id"] for record in of_type(feed, "card")}) == 63


def test_write_feed_returns_the_counts(tmp_path):
    path = tmp_path / "sub" / "demo.jsonl"
    counts = write_feed(path, now=NOW)
    assert counts["card"] == 7 and counts["refund"] == 1
    with open(path, encoding="utf-8") as stream:
        assert sum(1 for _ in stream) == sum(counts.values())
    assert DEFAULT_SEED


# -- seed_demo: the demo feed through the real import ------------------------------------------

SUMMARY = re.compile(r"(\d+) read, (\d+) imported, (\d+) unchanged, (\d+) rejected$", re.MULTILINE)


def seed(tmp_path, *args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--output", str(tmp_path / "demo.jsonl"), *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def summary(output: str) -> tuple[int, int, int, int]:
    match = SUMMARY.search(output)
    assert match, output
    return tuple(int(number) for number in match.groups())


@pytest.mark.django_db
def test_seed_demo_imports_every_line_and_a_second_run_changes_nothing(tmp_path):
    from cards.models import Card, CommuterPass, PointsEntry, Refund, UsageRecord

    output = seed(tmp_path, "--now", NOW.isoformat())
    path = tmp_path / "demo.jsonl"
    with path.open(encoding="utf-8") as stream:
        feed = [json.loads(line) for line in stream]
    counts = Counter(record["type"] for record in feed)
    assert summary(output) == (len(feed), len(feed), 0, 0)
    assert f"from {START:%Y-%m-%d} to 2026-11-25 21:30 Japan time" in output
    assert not path.with_name("demo.jsonl.rejects.jsonl").exists()

    assert Card.objects.count() == counts["card"] == 7
    assert set(Card.objects.values_list("member__wester_id", flat=True)) == DEMO_SUBS
    assert CommuterPass.objects.count() == counts["pass"]
    assert UsageRecord.objects.count() == counts["usage"]
    assert PointsEntry.objects.count() == counts["points"]
    refund = Refund.objects.get()
    (line,) = of_type(feed, "refund")
    assert (refund.total, refund.months_used) == (line["total"], 2) and refund.pass_part > 0
    replacement = Card.objects.get(replaces__isnull=False)
    assert replacement.replaces.status == "reissued"
    last = {}
    for record in of_type(feed, "usage"):
        last[record["icoca_number"]] = record["balance"]
    assert replacement.balance == last[replacement.icoca_number]

    again = seed(tmp_path, "--now", NOW.isoformat())
    assert summary(again) == (len(feed), 0, len(feed), 0)
    assert UsageRecord.objects.count() == counts["usage"]


@pytest.mark.django_db
def test_a_later_seed_demo_continues_the_stored_history(tmp_path):
    """make run runs seed_demo on every start: weeks later, across a month end, it keeps the
    stored history's start, so what it imported before comes back unchanged, never in conflict."""
    seed(tmp_path, "--now", NOW.isoformat())
    later = NOW + timedelta(days=45)
    assert history_start(later) != START
    with time_machine.travel(later):  # the import's limits count from its own moment
        output = seed(tmp_path, "--now", later.isoformat())
    read, imported, unchanged, rejected = summary(output)
    assert rejected == 0 and imported > 100 and unchanged > 2000 and read == imported + unchanged
    assert f"from {START:%Y-%m-%d}" in output


@pytest.mark.django_db
def test_seed_demo_fails_loudly_when_a_line_is_rejected(tmp_path, monkeypatch):
    from cards.demo_feed import simulation

    real = simulation.compute_refund

    def one_yen_too_much(**kwargs):
        breakdown = real(**kwargs)
        return dataclasses.replace(breakdown, total=breakdown.total + 1)

    monkeypatch.setattr(simulation, "compute_refund", one_yen_too_much)
    with pytest.raises(CommandError, match=r"1 of \d+ lines were rejected.*demo\.jsonl\.rejects\.jsonl") as error:
        seed(tmp_path, "--now", NOW.isoformat())
    assert "refund" in str(error.value)
    assert (tmp_path / "demo.jsonl.rejects.jsonl").exists()


@pytest.mark.django_db
def test_seed_demo_options(tmp_path):
    from cards.models import Card

    output = seed(tmp_path, "--members", "5", "--now", "2026-11-25T21:30", "--no-import")
    assert "5 members" in output and "to 2026-11-25 21:30 Japan time" in output
    assert not Card.objects.exists()
    with (tmp_path / "demo.jsonl").open(encoding="utf-8") as stream:
        subs = {json.loads(line)["wester_id"] for line in stream if '"type":"card"' in line}
    assert subs == DEMO_SUBS | {"bench-000001", "bench-000002"}
    with pytest.raises(CommandError, match="ISO 8601"):
        seed(tmp_path, "--now", "yesterday")
    with pytest.raises(CommandError, match="at least 1"):
        seed(tmp_path, "--members", "0")


@pytest.mark.django_db
def test_seed_demo_registers_the_payment_cards_its_lines_were_paid_with(tmp_path):
    """The history shows VISA ••••4242 paying Hanako's charges and passes: 決済用カード must
    hold it too (and every other card a demo member paid with), once however often it runs."""
    from billing.models import PaymentMethod
    from cards.models import CommuterPass, UsageRecord

    output = seed(tmp_path, "--now", NOW.isoformat())
    assert "payment methods: 4 registered" in output
    paid = set(
        UsageRecord.objects.filter(payment_method="card").values_list(
            "card__member__wester_id", "payment_brand", "payment_last4"
        )
    ) | set(
        CommuterPass.objects.filter(payment_method="card").values_list(
            "card__member__wester_id", "payment_brand", "payment_last4"
        )
    )
    methods = PaymentMethod.objects.filter(removed_at__isnull=True)
    assert set(methods.values_list("member__wester_id", "brand", "last4")) == paid
    assert ("demo-hanako", "VISA", "4242") in paid and ("demo-taro", "JCB", "0012") in paid
    hanako = methods.filter(member__wester_id="demo-hanako")
    assert hanako.filter(is_default=True).count() == 1
    visa = hanako.get(brand="VISA", last4="4242")
    assert visa.holder_name == "HANAKO YAMADA" and not visa.is_expired(NOW.date())
    assert methods.get(member__wester_id="demo-emily").holder_name == "EMILY CARTER"

    # Once: a second run adds nothing, and a card the member removed stays removed.
    visa.removed_at, visa.is_default = NOW, False
    visa.save()
    again = seed(tmp_path, "--now", NOW.isoformat())
    assert "payment methods: 0 registered" in again
    assert PaymentMethod.objects.count() == 4
    assert not PaymentMethod.objects.filter(brand="VISA", last4="4242", removed_at__isnull=True).exists()


@pytest.mark.django_db
def test_payment_cards_used_ignores_cash_points_and_lines_without_a_card():
    from accounts.services import member_get_or_create
    from cards.payments import member_payment_cards_used

    member, _ = member_get_or_create(wester_id="nobody-paid")
    assert member_payment_cards_used(member) == []
