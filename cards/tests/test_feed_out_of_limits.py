"""``manage.py feed_out_of_limits``: lists stored rows outside FEED.md's limits, changes
nothing, exits 1 when it finds some, 0 when none, 2 for bad arguments."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import UTC, date, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cards.models import Card, CommuterPass, UsageRecord
from cards.tests.factories import CardFactory, CommuterPassFactory, PointsEntryFactory, UsageRecordFactory
from cards.tests.history_factories import RefundFactory

pytestmark = pytest.mark.django_db

NOW = "2026-12-06T21:00:00+09:00"  # 2026-12-06T12:00:00Z
LAST = datetime.max.replace(tzinfo=UTC)


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("feed_out_of_limits", *args, stdout=out)
    except SystemExit as exit_:
        return exit_.code, out.getvalue()
    return 0, out.getvalue()


@pytest.fixture
def good_rows():
    card = CardFactory(issued_at=datetime(2025, 4, 1, tzinfo=UTC), balance_at=datetime(2026, 12, 7, 12, 0, tzinfo=UTC))
    CommuterPassFactory(card=card, valid_from=date(2027, 1, 6), valid_until=date(2027, 2, 5), months=1,
                        paid_at=datetime(2026, 12, 1, tzinfo=UTC))
    UsageRecordFactory(card=card, occurred_at=datetime(1999, 12, 31, 15, 0, tzinfo=UTC))
    UsageRecordFactory(card=card, occurred_at=datetime(2026, 12, 7, 12, 0, tzinfo=UTC))
    return card


def test_nothing_outside_exits_0(good_rows):
    code, output = run("--now", NOW)
    assert code == 0
    assert output.startswith("No stored row is outside the feed's limits (judged at 2026-12-06T21:00:00+09:00:")


def test_rows_outside_are_listed_unchanged_and_exit_1(good_rows):
    pinned = CardFactory(icoca_number="JW7A0000000009999", balance_at=LAST, issued_at=datetime(2099, 1, 1, tzinfo=UTC))
    UsageRecordFactory(card=pinned, center_id="U-9999", occurred_at=LAST)
    UsageRecordFactory(card=pinned, center_id="U-late", occurred_at=datetime(2026, 12, 7, 12, 0, 1, tzinfo=UTC))
    UsageRecordFactory(card=pinned, center_id="U-early", occurred_at=datetime(1999, 12, 31, 14, 59, 59, tzinfo=UTC))
    paid = datetime(2026, 12, 1, tzinfo=UTC)  # before --now whatever today is: only the dates below are outside
    CommuterPassFactory(card=pinned, center_id="P-forever", valid_from=date.min, valid_until=date.max, months=6,
                        paid_at=paid)
    CommuterPassFactory(card=pinned, center_id="P-ahead", valid_from=date(2027, 1, 7), valid_until=date(2027, 2, 6),
                        months=1, paid_at=paid)
    CommuterPassFactory(card=pinned, center_id="P-long", valid_from=date(2026, 10, 15), valid_until=date(2026, 11, 15),
                        months=1, paid_at=paid)
    RefundFactory(card=pinned, center_id="R-2099", refunded_at=datetime(2099, 1, 1, tzinfo=UTC))
    PointsEntryFactory(center_id="W-1999", occurred_at=datetime(1999, 1, 1, tzinfo=UTC))
    before = (list(UsageRecord.objects.order_by("pk").values_list("occurred_at", flat=True)),
              list(CommuterPass.objects.order_by("pk").values_list("valid_from", "valid_until")),
              list(Card.objects.order_by("pk").values_list("balance", "balance_at")))

    code, output = run("--now", NOW)

    assert code == 1
    lines = output.splitlines()
    assert "card: JW•••••••••••9999 issued_at 2099-01-01T00:00:00+00:00: is more than 24 hours after" in output
    assert "card balance: JW•••••••••••9999 balance_at 9999-12-31T23:59:59.999999+00:00: is more than 24 hours" in output
    assert "usage: U-9999 occurred_at 9999-12-31T23:59:59.999999+00:00: is more than 24 hours after" in output
    assert "usage: U-late occurred_at 2026-12-07T12:00:01+00:00: is more than 24 hours after the moment" in output
    assert "usage: U-early occurred_at 1999-12-31T14:59:59+00:00: is before 2000-01-01 (the limit:" in output
    assert "pass: P-forever valid_from 0001-01-01: is before 2000-01-01" in output
    assert "pass: P-ahead valid_from 2027-01-07: is more than 31 days after the import's Japan date" in output
    assert "pass: P-long valid_until 2026-11-15: is after the last day of a 1-month pass from 2026-10-15" in output
    assert "refund: R-2099 refunded_at 2099-01-01T00:00:00+00:00" in output
    assert "points: W-1999 occurred_at 1999-01-01T00:00:00+00:00: is before 2000-01-01" in output
    assert lines[-1].startswith(
        "10 stored row(s) outside the feed's limits: 1 card, 1 card balance, 3 usage, 1 refund, 1 points, 3 pass"
    )
    assert lines[-1].endswith("Nothing was changed.")
    assert "JW7A0000000009999" not in output  # the full ICOCA number is never printed
    after = (list(UsageRecord.objects.order_by("pk").values_list("occurred_at", flat=True)),
             list(CommuterPass.objects.order_by("pk").values_list("valid_from", "valid_until")),
             list(Card.objects.order_by("pk").values_list("balance", "balance_at")))
    assert after == before


def test_show_caps_the_listing_per_kind(good_rows):
    for n in range(3):
        UsageRecordFactory(card=good_rows, center_id=f"U-{n}", occurred_at=datetime(2099, 1, 1, n, tzinfo=UTC))
    code, output = run("--now", NOW, "--show", "1")
    assert code == 1
    assert "usage: U-0 " in output and "U-1" not in output and "usage: … and 2 more" in output
    code, output = run("--now", NOW, "--show", "0")
    assert code == 1 and output.splitlines()[0] == "usage: … and 3 more"


def test_without_now_it_judges_against_the_present(good_rows):
    UsageRecordFactory(card=good_rows, center_id="U-2099", occurred_at=datetime(2099, 1, 1, tzinfo=UTC))
    code, output = run()
    assert code == 1 and "U-2099" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--now", "yesterday"], "--now 'yesterday' is not an ISO 8601 time"),
        (["--now", "2026-12-06T21:00:00"], "has no UTC offset"),
        (["--show", "-1"], "--show must be 0 or more (got -1)"),
    ],
)
def test_bad_arguments(args, message):
    with pytest.raises(CommandError) as error:
        call_command("feed_out_of_limits", *args, stdout=io.StringIO())
    assert message in str(error.value) and error.value.returncode == 2


def test_bad_arguments_from_the_command_line_exit_2():
    for args in (["--now", "yesterday"], ["--show", "many"], ["--unknown"]):
        result = subprocess.run([sys.executable, "manage.py", "feed_out_of_limits", *args], capture_output=True,
                                text=True, check=False)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr
