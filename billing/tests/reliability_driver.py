"""What the reliability tests ask of the portal, run as a process of its own
with the test's environment (its database, broker and e-mail directory):

    python -m billing.tests.reliability_driver seed
    python -m billing.tests.reliability_driver ask MEMBER_ID      # as the member, through the page
    python -m billing.tests.reliability_driver status DOCUMENT_ID
    python -m billing.tests.reliability_driver download DOCUMENT_ID
    python -m billing.tests.reliability_driver requeue            # the beat task, once
    python -m billing.tests.reliability_driver replay DOCUMENT_ID # a duplicated render and e-mail message

Each prints one JSON object.
"""

from __future__ import annotations

import hashlib
import json
import sys
import uuid


def _setup() -> None:
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    django.setup()


def seed() -> dict:
    from accounts.tests.factories import MemberFactory
    from billing.tests.document_data import month_of_payments
    from cards.tests.factories import CardFactory, CommuterPassFactory, UsageRecordFactory
    from cards.window import japan_today, last_month

    key = uuid.uuid4().hex[:12]  # every seed runs in a new process: factory sequences start again
    member = MemberFactory(name="山田 花子", email="hanako@example.jp", wester_id=f"sub-{key}", username=f"member-{key}")
    for factory in (CardFactory, CommuterPassFactory, UsageRecordFactory):
        factory.reset_sequence(member.pk * 1000)
    year, month = last_month(japan_today())
    data = month_of_payments(member, year=year, month=month)
    return {"member": member.pk, "year": year, "month": month, "total": data.total}


def ask(member_id: int) -> dict:
    """The member asks for last month's receipt on /documents/ (the view,
    through Django's test client): what is stored and what they are told."""
    from django.contrib.messages import get_messages
    from django.test import Client

    from accounts.models import Member
    from billing.models import Document
    from cards.window import japan_today, last_month

    member = Member.objects.get(pk=member_id)
    year, month = last_month(japan_today())
    client = Client()
    client.force_login(member)
    response = client.post("/documents/request/", {"mode": "month", "month": f"{year:04d}-{month:02d}"})
    told = [str(message) for message in get_messages(response.wsgi_request)]
    document = Document.objects.filter(member=member).latest("id")
    return {"status_code": response.status_code, "document": document.pk, "told": told, **status(document.pk)}


def status(document_id: int) -> dict:
    from billing.models import Document

    document = Document.objects.get(pk=document_id)
    return {
        "status": document.status,
        "attempts": document.attempts,
        "queued": document.queued_at is not None,
        "file": document.file.name,
        "sha256": document.sha256,
        "failure_reason": document.failure_reason,
        "emailed": document.emailed_at is not None,
        "email_attempts": document.email_attempts,
        "email_failed_reason": document.email_failed_reason,
        "number": document.number,
    }


def download(document_id: int) -> dict:
    from django.test import Client

    from billing.models import Document

    document = Document.objects.get(pk=document_id)
    client = Client()
    client.force_login(document.member)
    response = client.get(f"/documents/{document.public_id}/download/")
    body = b"".join(response.streaming_content) if response.status_code == 200 else b""
    return {"status_code": response.status_code, "sha256": hashlib.sha256(body).hexdigest(), "pdf": body[:5] == b"%PDF-"}


def requeue() -> dict:
    from billing.documents.services import documents_requeue_stuck

    return {"sent": documents_requeue_stuck()}


def replay(document_id: int) -> dict:
    from billing import tasks

    render = tasks.document_render.apply_async((document_id,))  # the queues of CELERY_TASK_ROUTES
    email = tasks.document_email.apply_async((document_id,))
    return {"replayed": document_id, "tasks": [render.id, email.id]}


COMMANDS = {"seed": seed, "ask": ask, "status": status, "download": download, "requeue": requeue, "replay": replay}


def main(argv: list[str]) -> int:
    _setup()
    command, *args = argv
    print(json.dumps(COMMANDS[command](*(int(a) for a in args)), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
