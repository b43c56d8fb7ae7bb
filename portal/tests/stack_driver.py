"""What the stack reliability tests (test_stack_reliability.py) ask of the portal, as a process
of its own with the test's environment. Each command prints one JSON object:

    python -m portal.tests.stack_driver members N        # N members with a card, wanting the monthly statement
    python -m portal.tests.stack_driver session MEMBER   # a signed-in session of the member
    python -m portal.tests.stack_driver monthly          # last month's monthly statements, per member
    python -m portal.tests.stack_driver burst            # what beat does on the 1st: the monthly statements task
    python -m portal.tests.stack_driver documents        # every document's status
"""

from __future__ import annotations

import json
import sys
import uuid


def members(count: int) -> dict:
    """Members with a card and one card charge last month (a receipt, monthly or asked for, is
    made only for a period with card payments)."""
    from datetime import datetime, time

    from accounts.tests.factories import MemberFactory
    from cards.models import PaymentMethodKind, UsageKind
    from cards.tests.factories import CardFactory, UsageRecordFactory
    from cards.window import JAPAN, japan_today, last_month

    year, month = last_month(japan_today())
    paid_at = datetime.combine(datetime(year, month, 15).date(), time(9, 0), tzinfo=JAPAN)
    made = []
    for _ in range(count):
        key = uuid.uuid4().hex[:12]  # every run is a new process: factory sequences start again
        member = MemberFactory(email=f"{key}@example.jp", wester_id=f"sub-{key}", username=f"member-{key}",
                               email_monthly_statement=True)
        CardFactory.reset_sequence(member.pk * 1000)
        card = CardFactory(member=member)
        UsageRecordFactory(card=card, occurred_at=paid_at, kind=UsageKind.CHARGE, amount=3000, balance=5000,
                           from_station="", to_station="", payment_method=PaymentMethodKind.CARD,
                           payment_brand="VISA", payment_last4="4242")
        made.append(member.pk)
    return {"members": made}


def session(member_id: int) -> dict:
    from accounts.models import Member
    from portal.management.commands.load_prepare import make_sessions

    (made,) = make_sessions([Member.objects.get(pk=member_id)])
    return made


def monthly() -> dict:
    from django.db.models import Count

    from billing.models import Document
    from cards.window import japan_today, last_month

    year, month = last_month(japan_today())
    found = Document.objects.filter(origin="monthly", period_start__year=year, period_start__month=month)
    per_member = dict(found.values_list("member_id").annotate(n=Count("id")).values_list("member_id", "n"))
    return {"per_member": {str(k): v for k, v in per_member.items()}, "ready": found.filter(status="ready").count(),
            "emailed": found.filter(emailed_at__isnull=False).count(),
            "max_attempts": max(found.values_list("attempts", flat=True), default=0)}


def burst() -> dict:
    from billing.documents import tasks

    tasks.monthly_statements_queue.apply_async()
    return {"sent": True}


def documents() -> dict:
    from billing.models import Document

    return {"documents": list(Document.objects.order_by("id").values("id", "status", "origin", "emailed_at"))}


def main(argv: list[str]) -> None:
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    django.setup()
    command, *args = argv
    result = {"members": lambda: members(int(args[0])), "session": lambda: session(int(args[0])),
              "monthly": monthly, "burst": burst, "documents": documents}[command]()
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main(sys.argv[1:])
