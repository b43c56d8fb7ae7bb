"""``python manage.py feed_out_of_limits``: list the stored feed rows outside FEED.md's limits
(imported before the limits existed), without changing anything.

The rows keep no moment of their import, so they are judged against the command's own moment
(``--now``, default the present): an event time before 2000-01-01 (Japan) or more than 24 hours
after that moment, a pass starting before 2000-01-01 or more than 31 days after its Japan date,
or a ``valid_until`` past the last day of its ``months`` (cards/feed/limits.py). Exit status:
0 when no row is outside, 1 when some are, 2 for bad arguments.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError
from django.db.models import DateTimeField, ExpressionWrapper, F, Q

from cards.feed.limits import EARLIEST_DATE, EARLIEST_TIME, FeedLimits
from cards.masking import mask_icoca_number
from cards.models import Card, CommuterPass, PointsEntry, Refund, UsageRecord

# (label, model, time field, what names a row)
_TIMES = [
    ("card", Card, "issued_at", "icoca_number"),
    ("card balance", Card, "balance_at", "icoca_number"),
    ("pass", CommuterPass, "paid_at", "center_id"),
    ("usage", UsageRecord, "occurred_at", "center_id"),
    ("refund", Refund, "refunded_at", "center_id"),
    ("points", PointsEntry, "occurred_at", "center_id"),
]


def _name(key: str, value: str) -> str:
    return mask_icoca_number(value) if key == "icoca_number" else value


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat() if moment.utcoffset() is not None else moment.isoformat()


def out_of_limits(limits: FeedLimits) -> Iterator[tuple[str, str]]:
    """``(label, line)`` of every stored row outside ``limits``, table by table."""
    for label, model, field, key in _TIMES:
        outside = Q(**{f"{field}__lt": EARLIEST_TIME}) | Q(**{f"{field}__gt": limits.latest_time})
        # The stored value, not the one a page shows (portal.fields.ShownDateTimeField).
        stored = ExpressionWrapper(F(field), output_field=DateTimeField())
        rows = model.objects.filter(outside).order_by(field, "pk").values_list(key, stored)
        for name, moment in rows.iterator():
            yield label, f"{_name(key, name)} {field} {_utc(moment)}: {limits.time_problem(moment)}"
    passes = CommuterPass.objects.order_by("valid_from", "pk").values_list("center_id", "valid_from", "valid_until", "months")
    for center_id, valid_from, valid_until, months in passes.iterator():
        problem = limits.valid_from_problem(valid_from)
        if problem:
            yield "pass", f"{center_id} valid_from {valid_from.isoformat()}: {problem}"
            continue
        problem = limits.valid_until_problem(valid_from, valid_until, months)
        if problem:
            yield "pass", f"{center_id} valid_until {valid_until.isoformat()}: {problem}"


class Command(BaseCommand):
    help = (
        "List the stored card center rows (cards, passes, usage, refunds, points) outside the feed's "
        "limits (FEED.md), without changing them. Exit status 1 when some are found."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--now", help="judge against this moment (ISO 8601 with an offset) instead of the present"
        )
        parser.add_argument(
            "--show", type=int, default=100, help="rows listed per kind at most (default %(default)s; 0: only counts)"
        )

    def handle(self, *args, now: str | None, show: int, **options):
        if show < 0:
            raise CommandError(f"--show must be 0 or more (got {show})", returncode=2)
        moment = datetime.now(UTC)
        if now is not None:
            try:
                moment = datetime.fromisoformat(now)
            except ValueError:
                raise CommandError(f"--now {now!r} is not an ISO 8601 time like 2026-12-06T21:00:00+09:00", returncode=2) from None
            if moment.utcoffset() is None:
                raise CommandError(f"--now {now!r} has no UTC offset (add one, like +09:00)", returncode=2)
        limits = FeedLimits(moment)
        counts: dict[str, int] = {}
        for label, line in out_of_limits(limits):
            counts[label] = counts.get(label, 0) + 1
            if counts[label] <= show:
                self.stdout.write(f"{label}: {line}")
        for label, count in counts.items():
            if count > show:
                self.stdout.write(f"{label}: … and {count - show} more")
        total = sum(counts.values())
        judged = f"judged at {moment.isoformat()}: event times from {EARLIEST_TIME.isoformat()} to {_utc(limits.latest_time)}, passes from {EARLIEST_DATE.isoformat()} to {limits.latest_valid_from.isoformat()}"
        if not total:
            self.stdout.write(f"No stored row is outside the feed's limits ({judged}).")
            return
        summary = ", ".join(f"{count} {label}" for label, count in counts.items())
        self.stdout.write(f"{total} stored row(s) outside the feed's limits: {summary} ({judged}). Nothing was changed.")
        sys.exit(1)
