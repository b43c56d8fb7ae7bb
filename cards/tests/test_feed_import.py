"""The feed import (FEED.md): every rule with good and bad lines, as stored and as rejected.

FEED.md's own examples break two of its rules: the example number ``JW7A00000000000001`` has
16 characters after ``JW`` (the rule wants 15) and the example refund's total 27900 does not
add up (the rules give 14000). The rules win; the examples are used with ``JW7A0000000000001``
and 14000, and two tests pin what happens to the examples as printed.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection

from accounts.models import Member
from cards.feed import blocks, importer, postgres, usage
from cards.feed.limits import FeedLimits
from cards.feed.source import Span
from cards.models import Card, CommuterPass, FeedImport, FeedReject, PointsEntry, Refund, UsageKey, UsageRecord
from cards.window import JAPAN

pytestmark = pytest.mark.django_db

NUMBER = "JW7A0000000000001"  # FEED.md's example number, cut to the 17 characters of the rule
NUMBER_IN_FEED_MD = "JW7A00000000000001"
OTHER = "JW7A0000000000002"
NEW = "JW7A0000000000003"
WESTER_ID = "5f2c7e2a-1c1b-4e38-9d43-0e2b1f6f2a11"
SOMEONE_ELSE = "0b0b0b0b-0000-4000-8000-000000000000"


def card(number=NUMBER, **changes):
    line = {
        "type": "card", "icoca_number": number, "wester_id": WESTER_ID, "issued_at": "2025-04-01T09:00:00+09:00",
        "device": "android", "status": "active", "replaces": None,
    }
    return {**line, **changes}


def commuter_pass(**changes):
    line = {
        "type": "pass", "id": "P-2026-0000123", "icoca_number": NUMBER, "kind": "commuter", "from": "大阪",
        "to": "三ノ宮", "via": "JR神戸線", "valid_from": "2026-10-01", "valid_until": "2026-12-31", "months": 3,
        "price": 36960, "fares": {"1": 12970, "3": 36960, "6": 70040}, "paid_at": "2026-09-28T21:04:11+09:00",
        "payment": {"method": "card", "brand": "VISA", "last4": "4242"},
    }
    return {**line, **changes}


def ride(id="U-20261120-00000001", **changes):
    line = {
        "type": "usage", "id": id, "icoca_number": NUMBER, "at": "2026-11-20T08:12:33+09:00", "kind": "ride",
        "amount": -580, "balance": 4210, "from": "大阪", "to": "京都",
    }
    return {**line, **changes}


def purchase(**changes):
    line = {
        "type": "usage", "id": "U-20261120-00000002", "icoca_number": NUMBER, "at": "2026-11-20T12:40:02+09:00",
        "kind": "purchase", "amount": -540, "balance": 3670, "merchant": "駅ナカ売店 大阪駅",
    }
    return {**line, **changes}


def charge(**changes):
    line = {
        "type": "usage", "id": "U-20261120-00000003", "icoca_number": NUMBER, "at": "2026-11-20T18:02:45+09:00",
        "kind": "charge", "amount": 3000, "balance": 6670, "payment": {"method": "card", "brand": "VISA", "last4": "4242"},
    }
    return {**line, **changes}


def refund(**changes):
    line = {
        "type": "refund", "id": "R-2026-0000045", "icoca_number": NUMBER, "at": "2026-11-02T10:00:00+09:00",
        "balance": 3200, "pass_id": "P-2026-0000123", "fee": 220, "total": 14000,
        "destination": {"method": "card", "brand": "VISA", "last4": "4242"},
    }
    return {**line, **changes}


def points(**changes):
    line = {
        "type": "points", "id": "W-2026-11-000777", "wester_id": WESTER_ID, "at": "2026-11-06T03:00:00+09:00",
        "kind": "earn", "points": 128, "category": "ride_count",
    }
    return {**line, **changes}


def feed_bytes(lines) -> bytes:
    out = []
    for line in lines:
        if isinstance(line, dict):
            line = json.dumps(line, ensure_ascii=False)
        out.append(line if isinstance(line, bytes) else line.encode("utf-8"))
    return b"".join(part + b"\n" for part in out)


@pytest.fixture
def run(tmp_path):
    """Import the given lines (dicts, str or bytes) as one file; returns the report."""
    return importing_in(tmp_path)


def importing_in(tmp_path):
    """``run``: a function importing lines as a file in ``tmp_path``."""
    count = {"n": 0}

    def run_import(*lines, name=None):
        count["n"] += 1
        path = tmp_path / (name or f"feed{count['n']}.jsonl")
        path.write_bytes(feed_bytes(lines))
        with open(path, "rb") as stream:
            return importer.feed_import(stream=stream, name=str(path), reject_path=f"{path}.rejects.jsonl")

    return run_import


def rejects_of(report) -> list[dict]:
    with open(report.reject_path, encoding="utf-8") as file:
        return [json.loads(line) for line in file]


def reject_file_lines(report) -> list[str]:
    with open(report.reject_path, encoding="utf-8") as file:
        return file.read().splitlines()


def counts(report) -> tuple[int, int, int, int]:
    return report.read, report.imported, report.unchanged, report.rejected


@pytest.fixture(params=["small", "default"])
def batches(request, monkeypatch):
    """Run a test with blocks of one line too, so that duplicates and replays meet across
    blocks (and, on PostgreSQL, the COPY path falls back)."""
    if request.param == "small":
        monkeypatch.setattr(blocks, "SPAN_BYTES", 1)
    return request.param


# -- the examples of FEED.md ---------------------------------------------------------------


def test_feed_md_examples_import_with_the_corrected_number_and_total(run):
    report = run(card(), commuter_pass(), ride(), purchase(), charge(), refund(), points())
    assert counts(report) == (7, 7, 0, 0)
    assert report.reject_path is None
    stored = Card.objects.get(icoca_number=NUMBER)
    assert (stored.member.wester_id, stored.device, stored.status, stored.nickname) == (WESTER_ID, "android", "active", "")
    assert stored.issued_at == datetime(2025, 4, 1, 0, 0, tzinfo=UTC)
    assert (stored.balance, stored.balance_at) == (6670, datetime(2026, 11, 20, 9, 2, 45, tzinfo=UTC))
    bought = CommuterPass.objects.get(center_id="P-2026-0000123")
    assert (bought.card, bought.fares, bought.price, bought.via, bought.payment_brand) == (
        stored, {1: 12970, 3: 36960, 6: 70040}, 36960, "JR神戸線", "VISA"
    )
    rows = UsageRecord.objects.filter(card=stored).order_by("occurred_at")
    assert [(r.kind, r.amount, r.balance) for r in rows] == [("ride", -580, 4210), ("purchase", -540, 3670), ("charge", 3000, 6670)]
    assert (rows[0].from_station, rows[0].to_station, rows[1].merchant, rows[2].payment_last4) == ("大阪", "京都", "駅ナカ売店 大阪駅", "4242")
    assert UsageKey.objects.count() == 3
    paid = Refund.objects.get(center_id="R-2026-0000045")
    assert (paid.commuter_pass, paid.months_used, paid.fare_deducted, paid.pass_part, paid.fee, paid.total) == (
        bought, 2, 2 * 12970, 36960 - 2 * 12970, 220, 14000
    )
    earned = PointsEntry.objects.get()
    assert (earned.member, earned.points, earned.kind, earned.category) == (stored.member, 128, "earn", "ride_count")


def test_feed_md_example_number_breaks_its_own_rule(run):
    report = run(card(number=NUMBER_IN_FEED_MD))
    assert counts(report) == (1, 0, 0, 1)
    [reject] = rejects_of(report)
    assert "does not match ^JW[0-9A-Z]{15}$" in reject["_reason"] and "18 characters" in reject["_reason"]
    assert not Card.objects.exists()


def test_feed_md_example_refund_total_does_not_add_up(run):
    report = run(card(), commuter_pass(), refund(total=27900))
    assert counts(report) == (3, 2, 0, 1)
    [reject] = rejects_of(report)
    assert reject["_line"] == 3 and reject["total"] == 27900
    assert reject["_reason"].startswith("total 27900 does not add up: expected 14000 = max(0, balance 3200 + pass part 11020 - fee 220)")
    assert "2 month(s) used 25940" in reject["_reason"]
    assert not Refund.objects.exists()


# -- replays and conflicts -------------------------------------------------------------------


def test_a_replay_changes_nothing(run, batches):
    lines = [card(), commuter_pass(), ride(), purchase(), charge(), refund(), points()]
    assert counts(run(*lines)) == (7, 7, 0, 0)
    before = [list(model.objects.values()) for model in (Card, CommuterPass, UsageRecord, Refund, PointsEntry)]
    replay = run(*lines)
    assert counts(replay) == (7, 0, 7, 0) and replay.reject_path is None
    assert [list(model.objects.values()) for model in (Card, CommuterPass, UsageRecord, Refund, PointsEntry)] == before


def test_a_replay_written_differently_is_the_same_record(run):
    run(card(), ride(), commuter_pass())
    same_ride = '{ "balance" : 4210, "to":"京都","from":"大阪","amount":-580,"kind":"ride","at":"2026-11-19T23:12:33Z",' \
        '"icoca_number":"JW7A0000000000001","id":"U-20261120-00000001","type":"usage","merchant":"ignored","x":1}'
    same_pass = commuter_pass(via="JR神戸線", extra={"ignored": True}, paid_at="2026-09-28T12:04:11+00:00")
    assert counts(run(same_ride, same_pass)) == (2, 0, 2, 0)


def test_an_empty_optional_field_is_the_same_as_an_absent_one(run):
    run(card(), commuter_pass(via=None))
    assert counts(run(commuter_pass(via=""))) == (1, 0, 1, 0)


@pytest.mark.parametrize(
    ("line", "what"),
    [
        (ride(amount=-600), "amount (stored -580, this line -600)"),
        (ride(to="新大阪"), "to (stored '京都', this line '新大阪')"),
        (ride(at="2026-11-20T08:13:33+09:00"), "at (stored 2026-11-20T08:12:33+09:00, this line 2026-11-20T08:13:33+09:00)"),
        (ride(kind="bus", operator="大阪シティバス"), "kind (stored 'ride', this line 'bus'); from (stored '大阪', this line (none)); "
            "to (stored '京都', this line (none)); operator (stored (none), this line '大阪シティバス')"),
        (ride(icoca_number=OTHER), "icoca_number (stored for another card, this line 'JW7A0000000000002')"),
        (commuter_pass(price=36000), "price (stored 36960, this line 36000)"),
        (commuter_pass(payment={"method": "cash"}), "payment.method (stored 'card', this line 'cash'); "
            "payment.brand (stored 'VISA', this line (none)); payment.last4 (stored '4242', this line (none))"),
        (refund(fee=0, total=14220), "fee (stored 220, this line 0); total (stored 14000, this line 14220)"),
        (points(points=129), "points (stored 128, this line 129)"),
    ],
)
def test_the_same_id_with_other_content_is_a_conflict(run, batches, line, what):
    run(card(), card(number=OTHER), commuter_pass(), ride(), refund(), points())
    report = run(line)
    assert counts(report) == (1, 0, 0, 1)
    [reject] = rejects_of(report)
    kind = line["type"]
    assert reject["_reason"] == (
        f"conflict: {kind} id {line['id']!r} is already stored with different content: {what}. "
        "A record never changes once imported; send a new record with a new id"
    )
    assert {k: v for k, v in reject.items() if not k.startswith("_")} == line


def test_text_is_stored_as_sent_whatever_it_holds(run, batches):
    odd = {"from": "{大阪}", "to": "京\\都\t{0}\n", "id": "U-{1}\\t"}
    report = run(card(), ride(**odd), purchase(merchant="売店 {x} \\N"), ride(id="U-{", icoca_number=OTHER))
    assert counts(report) == (4, 3, 0, 1)
    stored = UsageRecord.objects.get(center_id="U-{1}\\t")
    assert (stored.from_station, stored.to_station) == ("{大阪}", "京\\都\t{0}\n")
    assert UsageRecord.objects.get(kind="purchase").merchant == "売店 {x} \\N"
    assert rejects_of(report)[0]["id"] == "U-{"
    assert counts(run(ride(**odd), purchase(merchant="売店 {x} \\N"))) == (2, 0, 2, 0)


def test_the_same_id_twice_in_one_file(run, batches):
    report = run(card(), ride(), ride(), ride(balance=4000), ride(id="U-2"), ride(id="U-2"))
    assert counts(report) == (6, 3, 2, 1)
    [reject] = rejects_of(report)
    assert reject["_line"] == 4 and "balance (stored 4210, this line 4000)" in reject["_reason"]
    assert UsageRecord.objects.count() == 2


def test_a_conflicting_line_repeated_is_rejected_each_time(run, batches):
    run(card(), ride())
    report = run(ride(amount=-1), ride(amount=-1), ride())
    assert counts(report) == (3, 0, 1, 2)
    assert [r["_line"] for r in rejects_of(report)] == [1, 2]
    assert Card.objects.get().balance == 4210


def test_a_replay_after_new_lines_mixes_outcomes(run, batches):
    run(card(), ride(), purchase())
    report = run(ride(), charge(), purchase(), ride(id="U-4", at="2026-11-21T08:00:00+09:00", balance=6090))
    assert counts(report) == (4, 2, 2, 0)
    assert UsageRecord.objects.count() == 4
    assert Card.objects.get().balance == 6090


# -- cards -------------------------------------------------------------------------------------


def test_a_card_creates_its_member_who_is_linked_at_sign_in(run):
    run(card())
    member = Member.objects.get(wester_id=WESTER_ID)
    assert not member.has_usable_password() and member.cards.get().icoca_number == NUMBER
    from accounts.services import member_sign_in

    assert member_sign_in(wester_id=WESTER_ID, claims={"name": "山田 花子"}).pk == member.pk


def test_a_file_of_new_cards_takes_a_few_queries_a_batch(run, django_assert_max_num_queries):
    """New cards and their new members are inserted a batch (500 lines) at a time, not one
    query after another per line; the members already known are found, not created again."""
    run(card(number="JW7A9999999999999", wester_id="member-7"))
    lines = [card(number=f"JW7A{i:013d}", wester_id=f"member-{i // 2}") for i in range(1000)]
    # 22 on PostgreSQL. SQLite binds at most 999 parameters a statement, so Django splits each
    # batch's inserts further (a member has over twenty columns: 12 statements for 500 members).
    with django_assert_max_num_queries(40 if connection.vendor == "postgresql" else 60):
        report = run(*lines)
    assert counts(report) == (1000, 1000, 0, 0)
    assert Member.objects.filter(wester_id__startswith="member-").count() == 500
    assert Card.objects.filter(member__wester_id="member-7").count() == 3
    assert Card.objects.get(icoca_number="JW7A0000000000999").member.wester_id == "member-499"
    assert counts(run(*lines)) == (1000, 0, 1000, 0)


def test_the_last_card_line_for_a_number_wins(run):
    report = run(card(status="active"), card(status="deposited", device="iphone"), card(status="suspended", device="iphone"))
    assert counts(report) == (3, 3, 0, 0)
    stored = Card.objects.get()
    assert (stored.status, stored.device) == ("suspended", "iphone")
    assert counts(run(card(status="suspended", device="iphone"), card(status="active"))) == (2, 1, 1, 0)
    assert Card.objects.get().status == "active"


def test_a_card_update_never_touches_the_nickname(run):
    run(card())
    Card.objects.update(nickname="仕事用")
    run(card(status="deposited", nickname="feed name"))
    assert Card.objects.get().nickname == "仕事用"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"wester_id": SOMEONE_ELSE}, "conflict: card JW7A0000000000001 belongs to a different member (the stored "
            "wester_id is not this line's); the owner of a card never changes"),
        ({"issued_at": "2025-04-02T09:00:00+09:00"}, "conflict: card JW7A0000000000001 is stored with a different "
            "issued_at (stored 2025-04-01T00:00:00+00:00, this line 2025-04-02T00:00:00+00:00); only device and status of a card change"),
        ({"replaces": OTHER}, "conflict: card JW7A0000000000001 is stored with a different replaces (stored None, "
            "this line JW7A0000000000002); only device and status of a card change"),
    ],
)
def test_what_a_card_was_born_with_never_changes(run, changes, reason):
    run(card(), card(number=OTHER))
    report = run(card(status="deposited", **changes))
    assert counts(report) == (1, 0, 0, 1)
    assert rejects_of(report)[0]["_reason"] == reason
    assert Card.objects.get(icoca_number=NUMBER).status == "active"


def test_a_different_owner_in_the_same_file_is_a_conflict(run):
    report = run(card(), card(wester_id=SOMEONE_ELSE, status="deposited"))
    assert counts(report) == (2, 1, 0, 1)
    assert Card.objects.get().status == "active" and not Member.objects.filter(wester_id=SOMEONE_ELSE).exists()


# -- reissue: replaces ---------------------------------------------------------------------------


def test_a_replacement_inherits_nickname_and_balance(run):
    run(card(), ride())
    Card.objects.update(nickname="仕事用")
    report = run(card(status="reissued"), card(number=NEW, replaces=NUMBER, device="iphone"))
    assert counts(report) == (2, 2, 0, 0)
    old, new = Card.objects.get(icoca_number=NUMBER), Card.objects.get(icoca_number=NEW)
    assert (new.replaces, new.nickname, new.balance, new.balance_at, new.member) == (old, "仕事用", 4210, old.balance_at, old.member)
    assert old.replaced_by == new and old.status == "reissued"
    # The new card's own records take over; a late record of the old card does not go back.
    run(ride(id="U-new", icoca_number=NEW, at="2026-11-22T08:00:00+09:00", balance=3630),
        ride(id="U-late", at="2026-11-20T20:00:00+09:00", balance=4000))
    new.refresh_from_db()
    assert (new.balance, new.balance_at) == (3630, datetime(2026, 11, 21, 23, 0, tzinfo=UTC))


def test_a_replacement_shows_the_old_cards_newest_balance_until_it_has_its_own(run):
    run(card(), card(number=NEW, replaces=NUMBER), ride())
    assert Card.objects.get(icoca_number=NEW).balance == 4210


def test_a_replacement_above_the_card_it_replaces_waits_for_it(run):
    report = run(
        card(number=NEW, replaces=NUMBER, status="active"),
        card(number=NEW, replaces=NUMBER, status="deposited"),
        ride(icoca_number=NEW),
        card(status="reissued"),
    )
    assert counts(report) == (4, 4, 0, 0)
    new = Card.objects.get(icoca_number=NEW)
    assert (new.replaces.icoca_number, new.status) == (NUMBER, "deposited")


@pytest.mark.parametrize(
    ("lines", "reason"),
    [
        ([card(number=NEW, replaces=NUMBER)], "unknown card: replaces JW7A0000000000001, which is neither in the "
            "store nor in this file; import that card's line first, then this line again"),
        ([card(number=NEW, replaces=NUMBER), card(replaces=OTHER)], "replaces card JW7A0000000000001, which is in "
            "this file but was not stored (see the rejects of its own card lines); import them, then this line again"),
        ([card(), card(number=NEW, replaces=NUMBER, wester_id=SOMEONE_ELSE)], "replaces JW7A0000000000001, a card of a different member"),
        ([card(), card(number=OTHER, replaces=NUMBER), card(number=NEW, replaces=NUMBER)], "replaces JW7A0000000000001, "
            "which card JW7A0000000000002 already replaces"),
    ],
)
def test_replaces_must_name_a_card_that_can_be_replaced(run, lines, reason):
    report = run(*lines)
    assert [r["_reason"] for r in rejects_of(report) if r["icoca_number"] == NEW] == [reason]
    assert not Card.objects.filter(icoca_number=NEW).exists()


def test_a_rejected_replacement_imports_once_its_card_arrives(run):
    first = run(card(number=NEW, replaces=NUMBER), ride(icoca_number=NEW))
    assert counts(first) == (2, 0, 0, 2)
    assert "card JW7A0000000000003 is in this file (line 1) but its card line was rejected" in rejects_of(first)[1]["_reason"]
    run(card())
    again = run(*reject_file_lines(first))
    assert counts(again) == (2, 2, 0, 0)
    assert Card.objects.get(icoca_number=NEW).replaces.icoca_number == NUMBER


# -- references and order ---------------------------------------------------------------------


def test_records_may_stand_above_what_they_refer_to(run, batches):
    report = run(points(), refund(), charge(), purchase(), ride(), commuter_pass(), card())
    assert counts(report) == (7, 7, 0, 0)
    assert Card.objects.get().balance == 6670


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (ride(icoca_number=OTHER), "unknown card: card JW7A0000000000002 is neither in the store nor in this file; "
            "import its card line first, then this line again"),
        (commuter_pass(icoca_number=OTHER, id="P-2"), "unknown card: card JW7A0000000000002 is neither in the store "
            "nor in this file; import its card line first, then this line again"),
        (refund(icoca_number=OTHER, pass_id=None, total=2980), "unknown card: card JW7A0000000000002 is neither in the store nor in this file; "
            "import its card line first, then this line again"),
        (refund(pass_id="P-9"), "unknown pass: pass 'P-9' is neither in the store nor in this file; import its pass "
            "line first, then this line again"),
        (points(wester_id=SOMEONE_ELSE), f"unknown member: no member with wester_id '{SOMEONE_ELSE}' in the store or "
            "in this file (a member becomes known through a card line); import it again once their card has arrived"),
    ],
)
def test_an_unknown_reference_is_rejected_and_imports_later(run, batches, line, reason):
    run(card(), commuter_pass())
    report = run(line)
    assert counts(report) == (1, 0, 0, 1)
    assert rejects_of(report)[0]["_reason"] == reason
    # The missing record arrives; the reject file, imported as it is, now goes in.
    arrival = {
        "usage": [card(number=OTHER)], "pass": [card(number=OTHER)],
        "refund": [card(number=OTHER), commuter_pass(id="P-9")],
        "points": [card(number=OTHER, wester_id=SOMEONE_ELSE)],
    }[line["type"]]
    run(*arrival)
    again = run(*reject_file_lines(report), name="again.jsonl")
    assert counts(again) == (1, 1, 0, 0)


def test_a_reference_to_a_rejected_line_says_which_line(run):
    report = run(ride(), card(wester_id=""), commuter_pass(), refund(icoca_number=OTHER), card(number=OTHER), points(wester_id="w-2"),
                 card(number=NEW, wester_id="w-2", issued_at="yesterday"))
    reasons = {r["_line"]: r["_reason"] for r in rejects_of(report)}
    assert reasons[1].startswith("unknown card: card JW7A0000000000001 is in this file (line 2) but its card line was rejected")
    assert reasons[3].startswith("unknown card: card JW7A0000000000001 is in this file (line 2)")
    assert reasons[4].startswith("unknown pass: pass 'P-2026-0000123' is in this file (line 3) but its line was rejected")
    assert reasons[2].startswith("card.wester_id must be 1 to 255 characters long")
    assert reasons[6].startswith("unknown member: wester_id 'w-2' is in this file only on card lines that were rejected (line 7)")


def test_points_need_a_member_known_from_a_card_line(run):
    report = run(points(), card())
    assert counts(report) == (2, 2, 0, 0)
    rejected = run(points(id="W-2", wester_id="w-9"), card(number=OTHER, wester_id="w-9", replaces=NEW))
    assert rejected.rejected == 2
    assert "w-9' is in this file only on card lines that were rejected (line 2)" in rejects_of(rejected)[0]["_reason"]


# -- refunds -------------------------------------------------------------------------------------


SIX_MONTHS = {"id": "P-6", "valid_from": "2026-04-01", "valid_until": "2026-09-30", "months": 6, "price": 70040}


def test_domain_worked_example_six_months_from_april_refunded_august_20(run):
    run(card(), commuter_pass(**SIX_MONTHS))
    pass_part = 70040 - (36960 + 2 * 12970)  # 5 months used
    report = run(refund(pass_id="P-6", at="2026-08-20T10:00:00+09:00", balance=1000, total=pass_part + 1000 - 220))
    assert counts(report) == (1, 1, 0, 0)
    paid = Refund.objects.get()
    assert (paid.months_used, paid.fare_deducted, paid.pass_part, paid.total) == (5, 36960 + 2 * 12970, 7140, 7920)


def test_the_refund_date_is_the_japan_date(run):
    run(card(), commuter_pass(**SIX_MONTHS))
    # 2026-09-01 00:30 in Japan: the last month of the pass, no pass part (in UTC it is still August 31).
    late = refund(pass_id="P-6", at="2026-08-31T15:30:00Z", balance=1000, total=780)
    assert counts(run(late)) == (1, 1, 0, 0)
    assert Refund.objects.get().pass_part == 0
    wrong = run(refund(id="R-2", pass_id="P-6", at="2026-08-31T15:30:00Z", balance=1000, total=7920))
    assert rejects_of(wrong)[0]["_reason"].startswith("total 7920 does not add up: expected 780 = max(0, balance 1000 + pass part 0 - fee 220); no pass part: on 2026-09-01")


@pytest.mark.parametrize(
    ("changes", "total"),
    [
        ({"pass_id": None, "balance": 3200}, 2980),  # balance only
        ({"pass_id": None, "balance": 100}, 0),  # below the fee: floored at 0
        ({"at": "2026-09-30T10:00:00+09:00"}, 36960 + 3200 - 220),  # before the pass starts: the price
        ({"at": "2026-12-05T10:00:00+09:00"}, 3200 - 220),  # less than a month left
        ({"at": "2027-01-05T10:00:00+09:00"}, 3200 - 220),  # after it ended
        ({"fee": 0}, 14220),  # the fee as the center sends it
    ],
)
@time_machine.travel(datetime(2027, 1, 6, tzinfo=JAPAN))  # a refund after the pass ended is in the past
def test_refund_totals_follow_the_rules(run, changes, total):
    run(card(), commuter_pass())
    assert counts(run(refund(total=total, **changes))) == (1, 1, 0, 0)
    assert run(refund(id="R-x", total=total + 1, **changes)).rejected == 1


def test_a_refund_of_a_pass_bought_on_the_card_it_replaces(run):
    run(card(), commuter_pass(), card(number=NEW, replaces=NUMBER), card(number=OTHER))
    assert counts(run(refund(icoca_number=NEW))) == (1, 1, 0, 0)
    report = run(refund(id="R-2", icoca_number=OTHER))
    assert rejects_of(report)[0]["_reason"] == "pass 'P-2026-0000123' belongs to another card than JW7A0000000000002"


# -- the PostgreSQL fast path ------------------------------------------------------------------


def test_on_postgresql_new_lines_go_by_copy_and_stored_ids_take_the_careful_way(run, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("the COPY path is PostgreSQL's")
    calls = []
    copy, careful = postgres.CopyUsageWriter._copy, usage.UsageWriter.write_rows

    def spy_copy(block, card_ids):
        calls.append("copy")
        return copy(block, card_ids)

    def spy_careful(self, rows):
        calls.append("careful")
        return careful(self, rows)

    monkeypatch.setattr(postgres.CopyUsageWriter, "_copy", staticmethod(spy_copy))
    monkeypatch.setattr(usage.UsageWriter, "write_rows", spy_careful)
    monkeypatch.setattr(blocks, "SPAN_BYTES", 1)  # a block per line
    assert counts(run(card(), ride("U-1"), ride("U-2"), ride("U-3"), ride("U-4"))) == (5, 5, 0, 0)
    assert calls == ["copy", "copy", "copy", "copy"]
    calls.clear()
    report = run(ride("U-1"), ride("U-2", balance=1), ride("U-5"), ride("U-6"), ride("U-7"), ride("U-8"))
    assert counts(report) == (6, 4, 1, 1)
    # U-1 is stored: its COPY fails and the block is found replayed whole. The blocks after it
    # take the careful way until one meets no stored id (U-5); U-6 goes by COPY again.
    assert calls == ["copy", "careful", "careful", "copy", "copy", "copy"]
    assert UsageRecord.objects.count() == UsageKey.objects.count() == 8


def test_a_big_file_is_parsed_by_a_pool_of_processes_with_the_same_outcome(run, monkeypatch):
    monkeypatch.setattr(blocks, "POOL_MIN_BYTES", 0)
    monkeypatch.setattr(blocks, "SPAN_BYTES", 500)
    monkeypatch.setattr(blocks, "processes", lambda: 2)
    lines = [points(), refund(), ride(amount=580), card(), commuter_pass(), "oops", b"\x82", charge(), purchase(),
             *(ride(id=f"U-{i}", at=f"2026-11-2{i % 10}T08:00:00+09:00", balance=i) for i in range(20)), ride()]
    report = run(*lines)
    assert counts(report) == (30, 27, 0, 3)
    assert [r["_line"] for r in rejects_of(report)] == [3, 6, 7]
    assert Card.objects.get().balance == 19 and UsageRecord.objects.count() == 23


def test_without_the_native_reader_a_big_file_imports_the_same_and_the_log_says_so(run, monkeypatch, caplog):
    from cards.feed import native

    monkeypatch.setattr(native, "_usage_span", None)
    monkeypatch.setattr(blocks, "POOL_MIN_BYTES", 0)
    monkeypatch.setattr(blocks, "processes", lambda: 0)
    report = run(card(), ride(), purchase(), charge(), ride(id="U-x", amount=5))
    assert counts(report) == (5, 4, 0, 1) and UsageRecord.objects.count() == 3
    assert "the native reader is not built (make setup)" in caplog.text


def test_the_pool_falls_back_to_parsing_here(monkeypatch):
    parser = blocks.SpanParser(2, FeedLimits.now())

    def broken(*args, **kwargs):
        raise blocks.BrokenProcessPool("gone")

    monkeypatch.setattr(parser.pool, "submit", broken)
    found = [*parser.submit(Span(1, json.dumps(ride()).encode())), *parser.finish()]
    assert [block.lines for block in found] == [[1]] and parser.pool is None


# -- balances ---------------------------------------------------------------------------------


def test_a_text_too_long_for_the_store_is_one_rejected_line(run, batches):
    """The store's column would refuse it in the middle of a block; the line is rejected
    with the limit, and the lines around it are imported."""
    report = run(card(), purchase(merchant="売" * 201), ride())
    assert counts(report) == (3, 2, 0, 1)
    assert "usage.merchant must be at most 200 characters (got 201" in rejects_of(report)[0]["_reason"]


@pytest.mark.parametrize("text", ["10%オフ %d %s 売店", "{0} {} }{ 売店", "タブ\tと\\バックスラッシュ\n改行"])
def test_texts_special_to_copy_are_stored_as_sent(run, batches, text):
    """Percent signs and braces (the COPY text is filled in with the card ids), tabs,
    backslashes and line breaks (escaped in COPY text) arrive unchanged; a replay is unchanged."""
    lines = [card(), purchase(id="U-1", merchant=text), purchase(id=f"U-2{text}", merchant="売店")]
    assert counts(run(*lines)) == (3, 3, 0, 0)
    assert UsageRecord.objects.get(center_id="U-1").merchant == text
    assert UsageRecord.objects.filter(center_id=f"U-2{text}").exists()
    assert counts(run(*lines)) == (3, 0, 3, 0)


def test_the_balance_follows_the_newest_usage(run, batches):
    run(card(), charge(), ride())
    assert Card.objects.get().balance == 6670
    run(ride(id="U-old", at="2026-11-01T08:00:00+09:00", balance=10))
    assert Card.objects.get().balance == 6670
    run(ride(id="U-a", at="2026-11-25T08:00:00+09:00", balance=100), ride(id="U-b", at="2026-11-25T08:00:00+09:00", balance=200))
    assert Card.objects.get().balance == 200  # at the same time, the later line


def test_a_rejected_usage_line_does_not_move_the_balance(run):
    run(card(), ride())
    run(ride(balance=9999, at="2026-11-30T08:00:00+09:00"))
    assert Card.objects.get().balance == 4210


# -- lines that do not match FEED.md ------------------------------------------------------------


def test_lines_that_do_not_match_feed_md_are_rejected_with_parse_lines_reason(run):
    report = run(
        card(), ride(amount=580), ride(id="U-2", balance=20001), '{"type":"usage"', "[1, 2]", b"\x82\xa0\x82\xa2",
        "", "   ", ride(id="U-3", balance=4210.0), {"type": "ticket"}, ride(id="U-4", **{"from": None}),
    )
    assert counts(report) == (9, 1, 0, 8)  # the two blank lines are not records
    reasons = {r["_line"]: r["_reason"] for r in rejects_of(report)}
    assert reasons == {
        2: "usage.amount must be < 0 for kind 'ride' (got 580)",
        3: "usage.balance must be between 0 and 20000 (got 20001)",
        4: "line is not valid JSON: Expecting ',' delimiter at column 16",
        5: "line is not a JSON object (got an array: [1, 2])",
        6: reasons[6],
        9: "usage.balance must be a whole number written without a decimal point (got 4210.0)",
        10: "unknown type 'ticket' (expected card, pass, usage, refund or points)",
        11: "usage.from must be a string (got null)",
    }
    assert reasons[6].startswith("line is not valid UTF-8")


def test_the_reject_file_keeps_each_line_whole_in_line_order(run):
    report = run(ride(icoca_number=OTHER, note="extra"), "not json", b"\x82\xa0", '{"a":1,"a":2}', card(wester_id=""))
    entries = rejects_of(report)
    assert [e["_line"] for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0] == {**ride(icoca_number=OTHER, note="extra"), "_line": 1, "_reason": entries[0]["_reason"]}
    assert entries[1] == {"_raw": "not json", "_line": 2, "_reason": "line is not valid JSON: Expecting value at column 1"}
    assert entries[2]["_raw"] == "\\x82\\xa0" and base64.b64decode(entries[2]["_raw_base64"]) == b"\x82\xa0"
    assert entries[3]["_raw"] == '{"a":1,"a":2}' and "duplicate field 'a'" in entries[3]["_reason"]
    assert entries[4]["wester_id"] == ""
    assert report.reject_path.endswith("/feed1.jsonl.rejects.jsonl")


def test_a_fixed_reject_file_imports(run):
    report = run(card(), ride(amount=580), charge(balance=-1))
    fixed = []
    for entry in rejects_of(report):
        entry.update({"ride": {"amount": -580}, "charge": {"balance": 6670}}[entry["kind"]])
        fixed.append(entry)  # _line and _reason stay: unknown fields are ignored
    again = run(*fixed)
    assert counts(again) == (2, 2, 0, 0)
    assert Card.objects.get().balance == 6670


def test_a_clean_import_removes_the_old_reject_file(run, tmp_path):
    first = run(card(), ride(icoca_number=OTHER), name="daily.jsonl")
    assert first.reject_path == f"{tmp_path / 'daily.jsonl'}.rejects.jsonl"
    second = run(card(), card(number=OTHER), ride(icoca_number=OTHER), name="daily.jsonl")
    assert second.rejected == 0 and not (tmp_path / "daily.jsonl.rejects.jsonl").exists()


def test_the_support_center_sees_each_import_and_its_rejects(run):
    report = run(card(), ride(amount=580), "oops")
    stored = FeedImport.objects.get()
    assert stored == report.feed_import and stored.finished_at is not None
    assert (stored.read, stored.imported, stored.unchanged, stored.rejected) == (3, 1, 0, 2)
    assert stored.reject_file == report.reject_path
    rows = list(FeedReject.objects.filter(feed_import=stored).order_by("line_number"))
    assert [(r.line_number, r.record_type, r.record_key) for r in rows] == [(2, "usage", "U-20261120-00000001"), (3, "", "")]
    assert rows[0].reason == "usage.amount must be < 0 for kind 'ride' (got 580)" and rows[1].line == "oops"


def test_a_reject_file_that_cannot_be_written_is_reported_and_the_import_stands(run, tmp_path):
    (tmp_path / "feed1.jsonl.rejects.jsonl").mkdir()  # a directory where the file should go
    report = run(card(), "oops")
    assert report.reject_error.startswith(f"cannot write the reject file {tmp_path}/feed1.jsonl.rejects.jsonl")
    assert Card.objects.exists() and FeedReject.objects.count() == 1


def test_no_full_icoca_number_in_the_log(run, caplog):
    caplog.set_level("INFO", logger="cards.feed")
    run(card(), ride(icoca_number=OTHER))
    assert caplog.records and all(NUMBER not in r.getMessage() and OTHER not in r.getMessage() for r in caplog.records)
