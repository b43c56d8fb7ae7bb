"""Operator command for the monthly partitions of the usage table
(PostgreSQL): create the coming months, or detach the months older than the
document window plus a margin."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cards import partitions
from cards.services import usage_partitions_upkeep
from cards.window import earliest_date, japan_today


class Command(BaseCommand):
    help = "Create the next months' usage partitions, or detach those older than the window plus a margin."

    def add_arguments(self, parser):
        parser.add_argument("--ahead", type=int, default=settings.USAGE_PARTITIONS_AHEAD_MONTHS,
                            help="months to create ahead of today (default %(default)s)")
        parser.add_argument("--detach", action="store_true",
                            help="detach partitions older than the document window plus --margin months")
        parser.add_argument("--margin", type=int, default=settings.USAGE_PARTITIONS_MARGIN_MONTHS,
                            help="months kept before the document window when detaching (default %(default)s)")

    def handle(self, *args, ahead: int, detach: bool, margin: int, **options):
        if not 0 <= ahead <= 24:
            raise CommandError(f"--ahead must be between 0 and 24 months (got {ahead})")
        if not 0 <= margin <= 120:
            raise CommandError(f"--margin must be between 0 and 120 months (got {margin})")
        if not partitions.partitioned():
            self.stdout.write("This database (SQLite) keeps the usage history in one plain table: nothing to do.")
            return
        if detach:
            before = partitions.add_months(earliest_date(japan_today()), -margin)
            names = partitions.detach_usage_partitions(before=before)
            self.stdout.write(f"detached {len(names)} partition(s) before {before:%Y-%m}: {', '.join(names) or '-'}")
            self.stdout.write("Detached tables are still in the database: archive them, then DROP TABLE them.")
        else:
            names = usage_partitions_upkeep(ahead=ahead)
            self.stdout.write(f"created {len(names)} partition(s): {', '.join(names) or '-'}")
