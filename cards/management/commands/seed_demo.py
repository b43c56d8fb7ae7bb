"""Demo data for `make run`: a realistic card center feed for the demo members (13 months up
to now, see cards/demo_feed/), written to a file and imported with `import_feed`, so the
demo goes through the same path as the center's own files. The payment cards the demo
members' charges and passes were paid with are then registered as their payment methods
(決済用カード), so the history and that page agree.

Safe to run again: the feed is deterministic and continues the history already imported (it
starts where the stored demo history starts), so a second run finds every line unchanged and a
later run only adds what happened since.
"""

from __future__ import annotations

import io
import json
import re
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.demo import DEMO_MEMBERS
from accounts.models import Member
from cards import partitions
from cards.demo_feed import DEFAULT_SEED, JAPAN, anchor_card_number, history_start, write_feed
from cards.models import Card

SHOWN_REJECTS = 5
HINT = (
    "\nIf this database holds demo data from an older version of seed_demo (conflicts: the same ids "
    "with other content), start from a fresh database: make clean, then make run."
)
SUMMARY = re.compile(
    r"(?P<read>\d+) read, (?P<imported>\d+) imported, (?P<unchanged>\d+) unchanged, (?P<rejected>\d+) rejected\s*$",
    re.MULTILINE,
)


def parse_now(text: str | None) -> datetime:
    if not text:
        return timezone.now()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--now {text!r} is not an ISO 8601 time like 2026-11-25T21:30:00+09:00") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=JAPAN)


class Command(BaseCommand):
    help = (
        "Write a realistic card center feed for the demo members (13 months up to now) and import it "
        "with import_feed. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--members", type=int, default=len(DEMO_MEMBERS),
            help="members in the feed: the demo members first, then generated bench-NNNNNN ones (default %(default)s)",
        )
        parser.add_argument("--output", type=Path, help="the feed file (default var/demo-feed.jsonl)")
        parser.add_argument("--now", help="the feed ends at this ISO 8601 time (default: now; Japan time without an offset)")
        parser.add_argument("--seed", default=DEFAULT_SEED, help="another seed gives other cards and history")
        parser.add_argument("--no-import", action="store_true", help="write the feed file only")

    def handle(self, *args, members: int, output: Path | None, now: str | None, seed: str, no_import: bool,
               **options):
        if members < 1:
            raise CommandError(f"--members must be at least 1 (got {members})")
        moment = parse_now(now)
        path = output or Path(settings.VAR_DIR) / "demo-feed.jsonl"
        start = self.stored_start(seed) or history_start(moment)
        counts = write_feed(path, now=moment, members=members, seed=seed, start=start)
        self.stdout.write(
            f"demo feed: {path}: {members:,} members; {counts['card']:,} card, {counts['pass']:,} pass, "
            f"{counts['usage']:,} usage, {counts['refund']:,} refund and {counts['points']:,} points lines "
            f"from {start:%Y-%m-%d} to {moment.astimezone(JAPAN):%Y-%m-%d %H:%M} Japan time"
        )
        if no_import:
            return
        partitions.ensure_usage_partitions(first=start, last=moment.astimezone(JAPAN).date())
        self.import_feed(path)
        self.register_payment_methods(members, today=moment.astimezone(JAPAN).date())

    def register_payment_methods(self, members: int, *, today) -> None:
        """The payment cards the demo members' charges and passes were paid with become their
        payment methods (決済用カード), so the history and that page agree."""
        from billing.payment_methods.payment_cards import romaji_name
        from billing.payment_methods.services.methods import payment_methods_register_used

        registered = 0
        for claims in DEMO_MEMBERS[:members]:
            member = Member.objects.filter(wester_id=claims["sub"]).first()
            if member is None:
                continue
            holder = romaji_name(
                given_name=claims.get("given_name", ""), family_name=claims.get("family_name", ""),
                full_name=claims.get("name", ""),
            )
            registered += len(payment_methods_register_used(member=member, holder_name=holder, today=today))
        self.stdout.write(f"payment methods: {registered} registered from the cards the demo members paid with")

    @staticmethod
    def stored_start(seed: str):
        """The start of the demo history already imported, if any: the Japan date its first card
        was issued."""
        issued = Card.objects.filter(icoca_number=anchor_card_number(seed)).values_list("issued_at", flat=True).first()
        return issued.astimezone(JAPAN).date() if issued else None

    def import_feed(self, path: Path) -> None:
        """Import with import_feed and fail loudly unless every line was imported or unchanged.

        From call_command, import_feed reports rejected lines only in its summary line
        (FEED.md: ``FILE: N read, N imported, N unchanged, N rejected``), so that is what is
        read; an unreadable file raises CommandError (and a SystemExit is caught too)."""
        out = io.StringIO()
        failure = ""
        try:
            call_command("import_feed", str(path), stdout=out, stderr=getattr(self.stderr, "_out", self.stderr))
        except SystemExit as exc:
            failure = f"import_feed exited with status {exc.code}"
        except CommandError as exc:
            failure = f"import_feed failed: {exc}"
        self.stdout.write(out.getvalue(), ending="")
        summary = SUMMARY.search(out.getvalue())
        if not failure and summary is None:
            failure = "import_feed printed no summary line"
        if not failure and int(summary["rejected"]):
            failure = f"{summary['rejected']} of {summary['read']} lines were rejected"
        if failure:
            raise CommandError(f"the demo feed was not imported cleanly: {failure}" + self.rejects(path) + HINT)

    @staticmethod
    def rejects(path: Path) -> str:
        rejects = Path(f"{path}.rejects.jsonl")
        if not rejects.exists():
            return ""
        lines = []
        with rejects.open(encoding="utf-8") as stream:
            for number, text in enumerate(stream):
                if number == SHOWN_REJECTS:
                    lines.append("...")
                    break
                try:
                    reject = json.loads(text)
                    lines.append(f"line {reject.get('_line')}: {reject.get('_reason')}")
                except ValueError:
                    lines.append(text.strip()[:200])
        return f"; rejected lines are in {rejects}:\n" + "\n".join(lines)
