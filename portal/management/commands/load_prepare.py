"""`make load` (python -m loadtest): signed-in sessions for seeded members, and the members who
want the monthly statement by e-mail. Refuses to run in production: it signs members in
without WESTER ID.

    manage.py load_prepare --sessions 500 --output var/load/sessions.jsonl
    manage.py load_prepare --opt-in 20000 --monthly 2026-11     # and forget that month's statements

With ``--monthly``, the members opted in are the first who paid by card that month: a member
with no card payment gets no statement (billing.documents.services.monthly), so the burst
expects one statement for each member opted in.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.module_loading import import_string

from accounts.models import Member
from accounts.sessions import SIGNED_IN_AT
from cards import payments
from cards.window import japan_month_bounds

BACKEND = "django.contrib.auth.backends.ModelBackend"


def seeded_members():
    """Members the card center's feed knows (seed_demo), who have at least one card."""
    return Member.objects.filter(is_staff=False, is_active=True, cards__isnull=False).distinct()


def make_sessions(members: list[Member]) -> list[dict[str, object]]:
    """A signed-in session per member, as a sign-in leaves it (auth keys and the sign-in time),
    stored by the configured session engine."""
    store = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    made = []
    for member in members:
        session = store()
        session[SESSION_KEY] = member._meta.pk.value_to_string(member)
        session[BACKEND_SESSION_KEY] = BACKEND
        session[HASH_SESSION_KEY] = member.get_session_auth_hash()
        session[SIGNED_IN_AT] = int(time.time())
        session.create()
        made.append({"member": member.pk, "wester_id": member.wester_id, "cookie": settings.SESSION_COOKIE_NAME,
                     "session": session.session_key})
    return made


def parse_month(text: str) -> tuple[int, int]:
    try:
        year, month = (int(part) for part in text.split("-"))
    except ValueError:
        raise CommandError(f"--monthly {text!r} is not a month like 2026-11") from None
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        raise CommandError(f"--monthly {text!r} is not a month like 2026-11")
    return year, month


class Command(BaseCommand):
    help = "For a load test: sessions of seeded members, and members who want the monthly statement."

    def add_arguments(self, parser):
        parser.add_argument("--sessions", type=int, default=0, help="signed-in sessions to make (members at random)")
        parser.add_argument("--output", type=Path, help="where the sessions go, one JSON object a line")
        parser.add_argument("--opt-in", type=int, default=0,
                            help="this many seeded members (the first by id; with --monthly, the first who paid "
                                 "by card that month) want the monthly statement by e-mail")
        parser.add_argument("--monthly", help="YEAR-MONTH: delete that month's monthly statements first")
        parser.add_argument("--seed", default="load", help="random seed for choosing members")

    def handle(self, *args, sessions: int, output: Path | None, opt_in: int, monthly: str | None, seed: str,
               **options):
        if settings.PRODUCTION:
            raise CommandError("load_prepare signs members in without WESTER ID: never in production")
        if sessions < 0 or opt_in < 0:
            raise CommandError("--sessions and --opt-in must not be negative")
        if sessions and output is None:
            raise CommandError("--sessions needs --output")
        ids = list(seeded_members().order_by("id").values_list("id", flat=True))
        if not ids:
            raise CommandError("no seeded members: run seed_demo --members N first")
        if monthly:
            self.forget_monthly(*parse_month(monthly))
        if opt_in:
            paid = None
            if monthly:
                start, end = japan_month_bounds(*parse_month(monthly))
                paid = payments.members_paid_by_card(start=start, end=end)
            chosen = [i for i in ids if paid is None or i in paid][:opt_in]
            with transaction.atomic():
                Member.objects.filter(is_staff=False).exclude(id__in=chosen).update(email_monthly_statement=False)
                for start in range(0, len(chosen), 5000):
                    part = chosen[start:start + 5000]
                    Member.objects.filter(id__in=part, email="").update(email="member@example.jp")
                    Member.objects.filter(id__in=part).update(email_monthly_statement=True)
            self.stdout.write(f"{len(chosen):,} members want the monthly statement by e-mail"
                              + (" (those who paid by card that month)" if monthly else ""))
        if sessions:
            picked = random.Random(seed).sample(ids, min(sessions, len(ids)))  # noqa: S311 (not security)
            members = list(Member.objects.filter(id__in=picked))
            made = make_sessions(members)
            output.parent.mkdir(parents=True, exist_ok=True)
            with output.open("w", encoding="utf-8") as stream:
                for line in made:
                    stream.write(json.dumps(line) + "\n")
            self.stdout.write(f"{len(made):,} signed-in sessions written to {output}")

    def forget_monthly(self, year: int, month: int) -> None:
        from datetime import date

        from billing.models import Document, DocumentOrigin

        documents = Document.objects.filter(origin=DocumentOrigin.MONTHLY, period_start=date(year, month, 1))
        files = list(documents.exclude(file="").values_list("file", flat=True))
        deleted = documents.delete()[0]
        storage = Document._meta.get_field("file").storage
        for name in files:
            storage.delete(name)
        self.stdout.write(f"{deleted:,} monthly statements of {year}-{month:02d} deleted")
