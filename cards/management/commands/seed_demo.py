"""Demo data for `make run`: the demo members, known to the portal before
their first sign-in, as the card center feed makes them."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from accounts.demo import DEMO_MEMBERS
from accounts.services import member_get_or_create


class Command(BaseCommand):
    help = "Load the demo data (safe to run again: existing records are kept)."

    def handle(self, *args, **options):
        created = sum(member_get_or_create(wester_id=m["sub"])[1] for m in DEMO_MEMBERS)
        self.stdout.write(f"demo members: {len(DEMO_MEMBERS)} ({created} new)")
