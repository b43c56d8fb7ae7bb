"""Requesting, rendering, e-mailing and reprinting documents (tasks eager)."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from smtplib import SMTPServerDisconnected
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from kombu.exceptions import OperationalError

from accounts.tests.factories import MemberFactory
from billing import tasks
from billing.documents import emailing as document_mail
from billing.documents import services as document_services
from billing.models import Document, DocumentOrigin, DocumentStatus
from billing.tests.document_data import domain_example_refund, month_of_payments
from cards.models import PaymentMethodKind, UsageKind
from cards.tests.factories import UsageRecordFactory
from cards.window import OutsideWindow

# Real commits: the tasks are sent after commit, as in a request (and run eagerly).
pytestmark = pytest.mark.django_db(transaction=True)
JAPAN = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=JAPAN)


@pytest.fixture(autouse=True)
def frozen_time(eager_tasks, media_root):
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def member():
    return MemberFactory(name="山田 花子", email="hanako@example.jp")


def request_october(member) -> Document:
    return document_services.receipt_request_month(member=member, year=2026, month=10).document


def test_a_month_receipt_lists_card_payments_only_and_is_made_and_mailed(member):
    data = month_of_payments(member, charges=4)
    document = request_october(member)
    document.refresh_from_db()

    assert document.status == DocumentStatus.READY
    assert document.number == "R-202611-000001"
    assert (document.period_start, document.period_end) == (date(2026, 10, 1), date(2026, 10, 31))
    lines = document.content["lines"]
    assert len(lines) == 4 + 2  # the card charges and the passes; no cash, no points, nothing outside
    assert document.total_amount == data.total == 3000 + 5000 + 3000 + 5000 + 36960 + 12970
    assert document.issuer_name == "西日本旅客鉄道株式会社"
    assert document.issuer_registration_number == "T1234567890123"
    assert document.addressee_name == "山田 花子"
    assert document.first_issued_at == NOW
    stored = document.file.read()
    assert stored.startswith(b"%PDF-")
    assert document.sha256 == hashlib.sha256(stored).hexdigest()
    assert document.file.name.startswith("documents/") and document.number not in document.file.name

    (message,) = mail.outbox
    assert message.to == ["hanako@example.jp"]
    assert "利用明細書（領収書）" in message.subject and "R-202611-000001" in message.subject
    (name, content, mimetype) = message.attachments[0]
    assert (name, mimetype) == ("利用明細書_R-202611-000001.pdf", "application/pdf")
    assert content == stored
    assert document.emailed_at == NOW


def test_a_request_before_the_window_is_refused_with_the_earliest_date(member):
    with pytest.raises(OutsideWindow, match="2025年11月1日"):
        document_services.receipt_request(member=member, start=date(2025, 10, 31), end=date(2025, 11, 30))
    assert not Document.objects.exists()


def test_the_earliest_day_of_the_window_is_allowed(member):
    month_of_payments(member, year=2025, month=10)  # a card charge on 2025-11-10, another on 2025-10-31 23:59
    card = member.cards.first()
    UsageRecordFactory(card=card, occurred_at=datetime(2025, 11, 1, 0, 0, tzinfo=JAPAN), kind=UsageKind.CHARGE,
                       amount=1000, from_station="", to_station="", payment_method=PaymentMethodKind.CARD,
                       payment_brand="VISA", payment_last4="4242")
    document = document_services.receipt_request(member=member, start=date(2025, 11, 1), end=date(2025, 11, 1)).document
    assert document.pk


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [(date(2026, 11, 10), date(2026, 11, 1), "始めは終わりより前"), (date(2026, 11, 1), date(2026, 11, 26), "今日まで")],
)
def test_an_impossible_period_is_refused(member, start, end, message):
    with pytest.raises(document_services.DocumentRequestInvalid, match=message):
        document_services.receipt_request(member=member, start=start, end=end)


def test_the_month_in_progress_ends_today(member):
    month_of_payments(member)  # October's, and a card charge on 11-10
    document = document_services.receipt_request_month(member=member, year=2026, month=11).document
    assert (document.period_start, document.period_end) == (date(2026, 11, 1), date(2026, 11, 25))


def test_an_empty_period_is_refused_not_issued(member):
    """billing/tests/test_receipt_without_card_payments.py has the rest."""
    with pytest.raises(document_services.NoCardPayments):
        document_services.receipt_request_month(member=member, year=2026, month=3)
    assert not Document.objects.exists()


def test_asking_again_for_the_same_period_gives_the_same_document(member):
    month_of_payments(member)
    first = document_services.receipt_request_month(member=member, year=2026, month=10)
    again = document_services.receipt_request_month(member=member, year=2026, month=10)
    assert first.created is True and first.queued is True
    assert again.document.pk == first.document.pk and again.created is False and again.queued is None
    assert not hasattr(again.document, "created")  # told by the result, not by the model instance
    assert Document.objects.count() == 1


def test_numbers_count_up_per_kind_and_month(member):
    for month in (7, 8):
        month_of_payments(member, month=month)  # July, August, and a card charge on 09-10
    numbers = [document_services.receipt_request_month(member=member, year=2026, month=m).document.number for m in (7, 8, 9)]
    refund = domain_example_refund(member)
    statement = document_services.refund_statement_request(member=member, refund=refund).document
    assert numbers == ["R-202611-000001", "R-202611-000002", "R-202611-000003"]
    assert statement.number == "S-202611-000001"


def test_one_payment(member):
    data = month_of_payments(member)
    bought = data.passes[0]
    document = document_services.receipt_request_payment(member=member, payment_ref=f"pass:{bought.center_id}").document
    document.refresh_from_db()
    assert document.payment_ref == f"pass:{bought.center_id}"
    assert [line["amount"] for line in document.content["lines"]] == [36960]
    assert document.period_start == document.period_end == date(2026, 10, 28)


def test_another_members_payment_or_a_cash_charge_is_not_found(member):
    data = month_of_payments(MemberFactory())
    mine = month_of_payments(member)
    for ref in (f"charge:{data.card_charges[0].center_id}", f"charge:{mine.cash_charges[0].center_id}", "charge:", "x"):
        with pytest.raises(document_services.DocumentRequestInvalid):
            document_services.receipt_request_payment(member=member, payment_ref=ref)


def test_refund_statement(member):
    refund = domain_example_refund(member)
    document = document_services.refund_statement_request(member=member, refund=refund).document
    document.refresh_from_db()
    assert document.status == DocumentStatus.READY
    assert document.total_amount == 7920
    assert document.content["months_used"] == 5
    assert document.content["fare_deducted"] == 62900
    with pytest.raises(document_services.DocumentRequestInvalid):
        document_services.refund_statement_request(member=MemberFactory(), refund=refund)


def test_a_refund_that_does_not_add_up_is_not_printed(member):
    refund = domain_example_refund(member)
    refund.total = 27900
    with pytest.raises(document_services.DocumentRequestInvalid, match="サポートセンター"):
        document_services.refund_statement_request(member=member, refund=refund)
    assert not Document.objects.exists()


def test_a_reprint_is_the_same_document_marked_and_made_once(member):
    month_of_payments(member)
    original = request_october(member)
    original.refresh_from_db()
    with time_machine.travel(datetime(2026, 12, 3, 9, 0, tzinfo=JAPAN), tick=False):
        reprint = document_services.document_reprint(member=member, document=original)
        again = document_services.document_reprint(member=member, document=original)
    reprint.refresh_from_db()
    original.refresh_from_db()
    assert again.pk == reprint.pk
    assert reprint.origin == DocumentOrigin.REPRINT and reprint.reissue_of == original
    assert reprint.number == original.number
    assert reprint.content == original.content
    assert reprint.first_issued_at == original.first_issued_at
    assert reprint.status == DocumentStatus.READY
    assert reprint.sha256 != original.sha256  # it carries the mark
    assert original.reissue_count == 2
    assert len(mail.outbox) == 1  # the original only: a reprint is printed, not mailed


def test_the_document_does_not_change_when_the_data_does(member):
    data = month_of_payments(member)
    original = request_october(member)
    original.refresh_from_db()
    card = data.cards[0]
    card.nickname = "新しい名前"
    card.save()
    member.name = "鈴木 花子"
    member.save()
    reprint = document_services.document_reprint(member=member, document=original)
    reprint.refresh_from_db()
    assert {line["card_nickname"] for line in reprint.content["lines"]} == {"仕事用", "買い物用"}
    assert reprint.addressee_name == "山田 花子"


def test_rendering_and_mailing_twice_make_one_document_and_one_email(member):
    month_of_payments(member)
    document = request_october(member)
    document.refresh_from_db()
    first_file, first_hash = document.file.name, document.sha256
    assert tasks.document_render.delay(document.pk).get() is False
    assert tasks.document_email.delay(document.pk).get() is False
    document.refresh_from_db()
    assert (document.file.name, document.sha256, document.attempts) == (first_file, first_hash, 1)
    assert len(mail.outbox) == 1


def test_broker_down_keeps_the_request_and_the_beat_sends_it_later(member, monkeypatch):
    month_of_payments(member)

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    with monkeypatch.context() as patched:
        patched.setattr(tasks.document_render, "apply_async", broker_down)
        requested = document_services.receipt_request_month(member=member, year=2026, month=10)
        assert requested.created is True and requested.queued is False
        document = requested.document
        document.refresh_from_db()
        assert (document.status, document.queued_at) == (DocumentStatus.PENDING, None)
        assert document_services.documents_requeue_stuck() == 0  # still down: nothing lost, nothing sent

    assert document_services.documents_requeue_stuck() == 1
    document.refresh_from_db()
    assert document.status == DocumentStatus.READY
    assert document.queued_at == NOW
    assert len(mail.outbox) == 1


def test_storage_errors_are_retried_then_the_document_fails_and_can_be_retried(member, monkeypatch, settings):
    settings.DOCUMENT_RENDER_MAX_RETRIES = 2
    month_of_payments(member)
    storage = Document._meta.get_field("file").storage
    calls = []

    def disk_full(name, content, **kwargs):
        calls.append(name)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage, "save", disk_full)
    document = request_october(member)
    # eager: the retries ran at once
    document.refresh_from_db()
    assert len(calls) == 3  # the first try and two retries
    assert document.status == DocumentStatus.FAILED
    assert "No space left on device" in document.failure_reason
    assert document.first_issued_at is None
    monkeypatch.undo()

    document_services.document_retry(member=member, document=document)
    document.refresh_from_db()
    assert document.status == DocumentStatus.READY
    assert document.attempts == 4


def test_smtp_errors_are_retried_then_the_email_is_marked_failed(member, monkeypatch, settings):
    settings.DOCUMENT_EMAIL_MAX_RETRIES = 2
    month_of_payments(member)
    sent = []

    def smtp_down(self, fail_silently=False):
        sent.append(self)
        raise SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", smtp_down)
    document = request_october(member)
    document.refresh_from_db()
    assert document.status == DocumentStatus.READY  # the PDF is there to download
    assert document.emailed_at is None
    assert "SMTPServerDisconnected" in document.email_failed_reason
    assert document.email_attempts == 3 == len(sent)
    monkeypatch.undo()

    document_mail.document_email_retry(member=member, document=document)
    document.refresh_from_db()
    assert document.emailed_at is not None and document.email_failed_reason == ""
    assert len(mail.outbox) == 1


def test_monthly_statements_once_per_member_even_when_beat_runs_twice():
    wants = MemberFactory(email_monthly_statement=True)
    month_of_payments(wants)
    MemberFactory(email_monthly_statement=False)
    MemberFactory(email_monthly_statement=True, email="")
    with time_machine.travel(datetime(2026, 11, 1, 6, 0, tzinfo=JAPAN), tick=False):
        assert tasks.monthly_statements_queue.delay().get() == 1
        assert tasks.monthly_statements_queue.delay().get() == 1
        assert tasks.monthly_statement_create.delay(wants.pk, 2026, 10).get() is False
    (document,) = Document.objects.all()
    assert (document.member, document.origin) == (wants, DocumentOrigin.MONTHLY)
    assert (document.period_start, document.period_end) == (date(2026, 10, 1), date(2026, 10, 31))
    assert document.status == DocumentStatus.READY
    (message,) = mail.outbox
    assert "2026年10月分" in message.subject


def test_the_email_links_to_the_document_page(member, settings):
    settings.PORTAL_BASE_URL = "https://portal.example.jp"
    month_of_payments(member)
    document = request_october(member)
    body = mail.outbox[0].body
    assert f"「領収書・明細書」からいつでもダウンロードできます：https://portal.example.jp/documents/{document.public_id}/" in body
    assert "/settings/" not in body  # asked for, not a monthly e-mail: nothing to turn off
