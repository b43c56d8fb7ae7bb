"""The monthly statements are sent in chunks (billing.documents.tasks.monthly_statements_queue): memory in
the task and messages in the broker stay bounded whatever the number of members."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from accounts.tests.factories import MemberFactory
from billing.documents import services as document_services
from billing.documents import tasks
from billing.models import Document, DocumentOrigin
from billing.tests.document_data import month_of_payments

JAPAN = ZoneInfo("Asia/Tokyo")
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def tasks_here(eager_tasks, media_root):
    """Tasks run in the test (on commit), files in a temporary folder."""


def test_every_opted_in_member_gets_one_statement_across_chunks(settings):
    settings.DOCUMENT_MONTHLY_CHUNK = 2
    wanting = [MemberFactory(email_monthly_statement=True) for _ in range(5)]
    for member in wanting:
        month_of_payments(member, charges=1)  # a statement only for a member with card payments in October
    MemberFactory(email_monthly_statement=False)
    with time_machine.travel(datetime(2026, 11, 1, 6, 0, tzinfo=JAPAN), tick=False):
        assert tasks.monthly_statements_queue.delay().get() == 2  # the first chunk; the rest follow it
        tasks.monthly_statements_queue.delay().get()  # beat twice: nothing more
    made = Document.objects.filter(origin=DocumentOrigin.MONTHLY)
    assert sorted(made.values_list("member_id", flat=True)) == sorted(m.pk for m in wanting)
    assert len(mail.outbox) == 5


def test_the_members_come_in_id_order_after_the_last_chunk():
    members = [MemberFactory(email_monthly_statement=True) for _ in range(4)]
    ids = sorted(m.pk for m in members)
    assert document_services.monthly_statement_members(limit=3) == ids[:3]
    assert document_services.monthly_statement_members(after=ids[2], limit=3) == ids[3:]
    assert document_services.monthly_statement_members(after=ids[3], limit=3) == []


def test_a_full_documents_queue_makes_the_chunk_wait(settings, monkeypatch):
    settings.DOCUMENT_MONTHLY_QUEUE_LIMIT = 100
    settings.DOCUMENT_MONTHLY_PAUSE_SECONDS = 15
    MemberFactory(email_monthly_statement=True)
    monkeypatch.setattr(tasks, "documents_waiting", lambda: 100)
    later = []
    monkeypatch.setattr(tasks.monthly_statements_queue, "apply_async",
                        lambda args, **options: later.append((args, options)))
    assert tasks.monthly_statements_queue.run(2026, 10, 0) == 0
    assert later == [((2026, 10, 0), {"countdown": 15})]
    assert not Document.objects.exists()


def test_the_queue_length_is_unknown_in_eager_mode_and_sending_goes_on():
    assert tasks.documents_waiting() is None
