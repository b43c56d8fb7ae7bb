"""FEED.md's limits on times and dates, at each boundary and in every reader: ``parse_line``
(every type), the fast path (both stages) and the native reader (usage lines), which must
accept exactly the same lines and leave the others to ``parse_line`` for its reason; and
through a whole import, whose moment is its ``FeedImport.started_at``."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from cards.feed import blocks, native
from cards.feed.fastpath import _general, _typed, usage_line
from cards.feed.limits import EARLIEST_TIME, FeedLimits
from cards.feed.parsing import FeedLineError, parse_line
from cards.feed.source import Span
from cards.models import Card, CommuterPass, FeedImport, UsageRecord
from cards.tests import test_feed_import as feed
from cards.window import JAPAN

#: The moment of the import: 2026-12-06 21:00 in Japan.
MOMENT = datetime(2026, 12, 6, 12, 0, 0, tzinfo=UTC)
LIMITS = FeedLimits(MOMENT)
AHEAD = "2026-12-07T21:00:00+09:00"  # exactly 24 hours after MOMENT
TOO_FAR = "2026-12-07T21:00:01+09:00"
FIRST = "2000-01-01T00:00:00+09:00"
TOO_EARLY = "1999-12-31T23:59:59+09:00"

GOOD_TIMES = [AHEAD, "2026-12-07T12:00:00Z", FIRST, "1999-12-31T15:00:00Z", "1999-12-31T10:00:00-05:00"]
BAD_TIMES = [TOO_FAR, "2026-12-07T12:00:01Z", TOO_EARLY, "1999-12-31T14:59:59Z", "2099-01-01T00:00:00+09:00",
             "9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+00:00"]


def line(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False)


# -- the limits themselves ---------------------------------------------------------------------


def test_the_limits_of_an_import():
    assert LIMITS.latest_time == datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    assert datetime(1999, 12, 31, 15, 0, tzinfo=UTC) == EARLIEST_TIME
    assert (LIMITS.earliest_text, LIMITS.latest_text) == ("1999-12-31T15:00:00", "2026-12-07T12:00:00")
    assert LIMITS.latest_valid_from == date(2027, 1, 6)  # the Japan date 2026-12-06 + 31 days


def test_the_pass_start_counts_from_the_japan_date_of_the_import():
    after_midnight_in_japan = FeedLimits(datetime(2026, 12, 6, 15, 30, tzinfo=UTC))  # 00:30 on 12-07 in Japan
    assert after_midnight_in_japan.latest_valid_from == date(2027, 1, 7)


def test_a_moment_between_seconds_cuts_the_text_limit_to_the_second():
    limits = FeedLimits(datetime(2026, 12, 6, 12, 0, 0, 500_000, tzinfo=UTC))
    assert limits.latest_text == "2026-12-07T12:00:00"
    assert limits.time_problem(datetime(2026, 12, 7, 12, 0, 0, tzinfo=UTC)) is None
    assert limits.time_problem(datetime(2026, 12, 7, 12, 0, 1, tzinfo=UTC)) is not None


def test_a_naive_moment_is_refused():
    with pytest.raises(ValueError, match="aware"):
        FeedLimits(datetime(2026, 12, 6, 12, 0))


# -- every reader of usage lines ---------------------------------------------------------------


def read_natively(text: str):
    span = Span(1, text.encode("utf-8") + b"\n")
    found = native.read(span.data, span.first, LIMITS)
    assert found is not None
    block = blocks.parse_span(span, LIMITS)
    assert block == blocks._python_block(span, LIMITS)
    return found, block


@pytest.mark.parametrize("at", GOOD_TIMES)
@pytest.mark.parametrize("kind", ["ride", "purchase", "charge"])
def test_a_usage_time_inside_the_limits_is_accepted_by_every_reader(at, kind):
    text = line({"ride": feed.ride, "purchase": feed.purchase, "charge": feed.charge}[kind](at=at))
    record = parse_line(text, LIMITS)
    assert record.at == datetime.fromisoformat(at).astimezone(UTC)
    assert usage_line(text, LIMITS) is not None
    assert _typed(text, LIMITS) is not None
    assert _general(text, LIMITS) is not None
    found, block = read_natively(text)
    assert found.declined == [] and found.lines == [1]  # the C reader read it itself
    assert block.rejects == [] and block.lines == [1]


@pytest.mark.parametrize("at", BAD_TIMES)
@pytest.mark.parametrize("kind", ["ride", "purchase", "charge"])
def test_a_usage_time_outside_the_limits_is_rejected_by_every_reader(at, kind):
    text = line({"ride": feed.ride, "purchase": feed.purchase, "charge": feed.charge}[kind](at=at))
    with pytest.raises(FeedLineError) as error:
        parse_line(text, LIMITS)
    assert error.value.reason.startswith(f"usage.at '{at}' is ")
    assert "(the limit: " in error.value.reason
    assert usage_line(text, LIMITS) is None
    assert _typed(text, LIMITS) is None and _general(text, LIMITS) is None
    found, block = read_natively(text)
    assert found.lines == [] and [d[0] for d in found.declined] == [1]  # left to Python
    assert block.lines == [] and [(r[0], r[1]) for r in block.rejects] == [(1, error.value.reason)]


def test_the_reasons_name_the_limit():
    with pytest.raises(FeedLineError) as late:
        parse_line(line(feed.ride(at=TOO_FAR)), LIMITS)
    assert late.value.reason == (
        f"usage.at '{TOO_FAR}' is more than 24 hours after the moment of the import 2026-12-06T21:00:00+09:00 "
        "(the limit: at most 2026-12-07T21:00:00+09:00)"
    )
    with pytest.raises(FeedLineError) as early:
        parse_line(line(feed.ride(at=TOO_EARLY)), LIMITS)
    assert early.value.reason == (
        f"usage.at '{TOO_EARLY}' is before 2000-01-01 (the limit: an event time lies on or after "
        "2000-01-01T00:00:00+09:00)"
    )


def test_the_native_reader_takes_the_limits_from_each_call():
    """The same span, read for two imports: the line 24 hours ahead of one is too far for the
    import an hour earlier."""
    text = line(feed.ride(at=AHEAD)).encode() + b"\n"
    assert native.read(text, 1, LIMITS).lines == [1]
    earlier = FeedLimits(MOMENT - timedelta(hours=1))
    assert native.read(text, 1, earlier).lines == []


def test_a_usage_line_with_a_fractional_second_past_the_limit_is_rejected():
    limits = FeedLimits(datetime(2026, 12, 6, 12, 0, 0, 500_000, tzinfo=UTC))
    assert parse_line(line(feed.ride(at="2026-12-07T12:00:00.5Z")), limits)
    with pytest.raises(FeedLineError, match="more than 24 hours"):
        parse_line(line(feed.ride(at="2026-12-07T12:00:00.500001Z")), limits)


# -- the other types: Python alone reads them --------------------------------------------------


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (feed.card, "issued_at"),
        (feed.commuter_pass, "paid_at"),
        (feed.refund, "at"),
        (feed.points, "at"),
    ],
)
def test_every_event_time_has_the_limits(make, field):
    record_type = make()["type"]
    for good in GOOD_TIMES:
        assert parse_line(line(make(**{field: good})), LIMITS)
    for bad in BAD_TIMES:
        with pytest.raises(FeedLineError) as error:
            parse_line(line(make(**{field: bad})), LIMITS)
        assert error.value.reason.startswith(f"{record_type}.{field} '{bad}' is ")
        assert "(the limit: " in error.value.reason


def a_pass(valid_from: str, valid_until: str, months: int = 1) -> str:
    return line(feed.commuter_pass(valid_from=valid_from, valid_until=valid_until, months=months))


def test_a_pass_may_start_31_days_after_the_japan_date_of_the_import():
    assert parse_line(a_pass("2027-01-06", "2027-02-05"), LIMITS).valid_from == date(2027, 1, 6)
    with pytest.raises(FeedLineError) as error:
        parse_line(a_pass("2027-01-07", "2027-02-06"), LIMITS)
    assert error.value.reason == (
        "pass.valid_from '2027-01-07' is more than 31 days after the import's Japan date 2026-12-06 "
        "(the limit: a pass starts at most 31 days ahead, by 2027-01-06)"
    )


def test_a_pass_starts_on_or_after_2000_01_01():
    assert parse_line(a_pass("2000-01-01", "2000-01-31"), LIMITS).valid_from == date(2000, 1, 1)
    with pytest.raises(FeedLineError) as error:
        parse_line(a_pass("1999-12-31", "2000-01-30"), LIMITS)
    assert error.value.reason == (
        "pass.valid_from '1999-12-31' is before 2000-01-01 (the limit: a pass starts on or after 2000-01-01)"
    )
    with pytest.raises(FeedLineError, match="before 2000-01-01"):
        parse_line(a_pass("0001-01-01", "9999-12-31", 6), LIMITS)


@pytest.mark.parametrize(
    ("valid_from", "months", "last"),
    [
        ("2026-10-15", 1, "2026-11-14"),  # FEED.md's examples
        ("2026-10-01", 3, "2026-12-31"),
        ("2026-01-31", 1, "2026-02-28"),  # no February 31st: the month ends on its last day
        ("2024-01-31", 1, "2024-02-29"),
        ("2026-04-01", 6, "2026-09-30"),
        ("2026-12-20", 6, "2027-06-19"),
    ],
)
def test_valid_until_fits_the_months(valid_from, months, last):
    assert parse_line(a_pass(valid_from, last, months), LIMITS).valid_until == date.fromisoformat(last)
    assert parse_line(a_pass(valid_from, valid_from, months), LIMITS)  # a shorter validity is not refused
    after = (date.fromisoformat(last) + timedelta(days=1)).isoformat()
    with pytest.raises(FeedLineError) as error:
        parse_line(a_pass(valid_from, after, months), LIMITS)
    assert error.value.reason == (
        f"pass.valid_until '{after}' is after the last day of a {months}-month pass from {valid_from} "
        f"(the limit: valid_until is before the same day {months} {'month' if months == 1 else 'months'} "
        f"later, so at most {last})"
    )


def test_valid_until_before_valid_from_is_still_rejected():
    with pytest.raises(FeedLineError) as error:
        parse_line(a_pass("2026-10-15", "2026-10-14"), LIMITS)
    assert error.value.reason == "pass.valid_until '2026-10-14' is before pass.valid_from '2026-10-15'"


def test_without_limits_parse_line_takes_the_present_moment():
    tomorrow = (datetime.now(UTC) + timedelta(hours=23)).isoformat(timespec="seconds")
    assert parse_line(line(feed.ride(at=tomorrow)))
    with pytest.raises(FeedLineError, match="more than 24 hours"):
        parse_line(line(feed.ride(at=(datetime.now(UTC) + timedelta(hours=25)).isoformat())))


# -- a whole import ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("span_bytes", [1, blocks.SPAN_BYTES])
def test_an_import_counts_the_limits_from_its_own_moment(tmp_path, monkeypatch, span_bytes):
    """The issue's lines: a usage line dated 9999-12-31 (or 2099) no longer pins the balance,
    a pass valid 0001-01-01 to 9999-12-31 is rejected; the boundary lines are imported."""
    monkeypatch.setattr(blocks, "SPAN_BYTES", span_bytes)
    run = feed.importing_in(tmp_path)
    with time_machine.travel(MOMENT, tick=False):
        report = run(
            feed.card(),
            feed.ride(id="U-ahead", at=AHEAD, balance=100),
            feed.ride(id="U-far", at=TOO_FAR, balance=1),
            feed.ride(id="U-9999", at="9999-12-31T23:59:59+00:00", balance=2),
            feed.ride(id="U-2099", at="2099-01-01T00:00:00+09:00", balance=3),
            feed.ride(id="U-first", at=FIRST, balance=4),
            feed.ride(id="U-early", at=TOO_EARLY, balance=5),
            feed.commuter_pass(id="P-ok", valid_from="2027-01-06", valid_until="2027-04-05", months=3),
            feed.commuter_pass(id="P-late", valid_from="2027-01-07", valid_until="2027-04-06", months=3),
            feed.commuter_pass(id="P-forever", valid_from="0001-01-01", valid_until="9999-12-31", months=6),
            feed.commuter_pass(id="P-long", valid_from="2026-10-15", valid_until="2026-11-15", months=1),
        )
    assert FeedImport.objects.get().started_at == MOMENT
    assert feed.counts(report) == (11, 4, 0, 7)
    reasons = {reject["id"]: reject["_reason"] for reject in feed.rejects_of(report)}
    assert set(reasons) == {"U-far", "U-9999", "U-2099", "U-early", "P-late", "P-forever", "P-long"}
    assert all("(the limit: " in reason for reason in reasons.values())
    assert sorted(UsageRecord.objects.values_list("center_id", flat=True)) == ["U-ahead", "U-first"]
    assert list(CommuterPass.objects.values_list("center_id", flat=True)) == ["P-ok"]
    stored = Card.objects.get()
    assert (stored.balance, stored.balance_at) == (100, datetime(2026, 12, 7, 12, 0, tzinfo=UTC))


@pytest.mark.django_db
def test_a_card_line_outside_the_limits_is_rejected_and_named_by_its_usage_lines(tmp_path):
    run = feed.importing_in(tmp_path)
    with time_machine.travel(MOMENT, tick=False):
        report = run(feed.card(issued_at="2099-04-01T09:00:00+09:00"), feed.ride())
    assert feed.counts(report) == (2, 0, 0, 2)
    card_reason, ride_reason = (reject["_reason"] for reject in feed.rejects_of(report))
    assert card_reason.startswith("card.issued_at '2099-04-01T09:00:00+09:00' is more than 24 hours after")
    assert feed.NUMBER in ride_reason and not Card.objects.exists()


def test_the_japan_zone_is_the_one_of_the_limits():
    assert EARLIEST_TIME.astimezone(JAPAN).isoformat() == FIRST
