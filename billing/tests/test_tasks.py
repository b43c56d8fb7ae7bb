"""The payment-card expiry reminder: 30 days before, once per card per expiry."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core import mail

from billing import tasks
from billing.models import ExpiryReminder
from billing.tests.factories import PaymentMethodFactory

pytestmark = pytest.mark.django_db
TOKYO = ZoneInfo("Asia/Tokyo")


def at(year, month, day, hour=9):
    return time_machine.travel(datetime(year, month, day, hour, 0, tzinfo=TOKYO), tick=False)


@pytest.fixture(autouse=True)
def eager():
    """Tasks run in the test's process, whatever the environment says."""
    from portal.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture
def run_daily(django_capture_on_commit_callbacks):
    """The beat task, with the e-mails it enqueues after commit."""

    def run() -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return tasks.payment_card_expiry_reminders_queue()

    return run


def test_the_reminder_goes_out_30_days_before_the_card_expires_and_only_once(run_daily, settings):
    settings.PORTAL_BASE_URL = "https://portal.example.jp"
    method = PaymentMethodFactory(exp_month=12, exp_year=2026, is_default=True)  # valid through 2026-12-31

    with at(2026, 11, 30):
        assert run_daily() == 0
    assert mail.outbox == []

    with at(2026, 12, 1):
        assert run_daily() == 1
        assert run_daily() == 0  # a second run that day
    with at(2026, 12, 2):
        assert run_daily() == 0
    with at(2026, 12, 31):
        assert run_daily() == 0
    with at(2027, 1, 1):
        assert run_daily() == 0

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [method.member.email]
    assert message.subject == "【ICOCA会員メニュー】決済用カードの有効期限が近づいています"
    assert "VISA ••••0100" in message.body
    assert "2026/12/31" in message.body
    assert "「決済用カード」から新しいカードを登録してください" in message.body
    assert "\nhttps://portal.example.jp/payment-methods/\n" in message.body
    assert method.token not in message.body
    reminder = ExpiryReminder.objects.get()
    assert (reminder.payment_method, str(reminder.expires_on)) == (method, "2026-12-31")
    assert reminder.sent_at is not None


def test_a_missed_day_still_sends_before_the_card_expires(run_daily):
    PaymentMethodFactory(exp_month=12, exp_year=2026)
    with at(2026, 12, 20):
        assert run_daily() == 1
    assert len(mail.outbox) == 1


def test_a_replayed_send_task_sends_nothing_more(run_daily):
    PaymentMethodFactory(exp_month=12, exp_year=2026)
    with at(2026, 12, 1):
        run_daily()
        reminder = ExpiryReminder.objects.get()
        assert tasks.payment_card_expiry_reminder_send(reminder.pk) is False
        assert tasks.payment_card_expiry_reminder_send(reminder.pk) is False
    assert len(mail.outbox) == 1


def test_an_unsent_reminder_is_enqueued_again_the_next_day(run_daily, django_capture_on_commit_callbacks):
    PaymentMethodFactory(exp_month=12, exp_year=2026)
    # The broker was down: the row exists, the e-mail never went.
    with at(2026, 12, 1), django_capture_on_commit_callbacks(execute=False):
        tasks.payment_card_expiry_reminders_queue()
    assert ExpiryReminder.objects.get().sent_at is None and mail.outbox == []
    with at(2026, 12, 2):
        assert run_daily() == 1
    assert len(mail.outbox) == 1


def test_each_card_gets_its_own_reminder_and_a_new_card_its_own(run_daily):
    first = PaymentMethodFactory(exp_month=12, exp_year=2026, is_default=True)
    PaymentMethodFactory(member=first.member, exp_month=12, exp_year=2026, last4="0107", brand="MASTERCARD")
    PaymentMethodFactory(member=first.member, exp_month=2, exp_year=2027, last4="0106", brand="JCB")
    with at(2026, 12, 1):
        assert run_daily() == 2
    with at(2027, 1, 29):  # 2027-02-28 is 30 days away
        assert run_daily() == 1
    assert sorted(m.body.split("カード: ")[1].split("\n")[0] for m in mail.outbox) == [
        "JCB ••••0106",
        "Mastercard ••••0107",
        "VISA ••••0100",
    ]


def test_no_reminder_for_a_removed_card_or_a_member_without_e_mail(run_daily):
    PaymentMethodFactory(exp_month=12, exp_year=2026, removed_at="2026-06-01T00:00:00Z")
    PaymentMethodFactory(exp_month=12, exp_year=2026, member__email="")
    with at(2026, 12, 1):
        assert run_daily() == 0
    assert mail.outbox == []


def test_a_card_removed_after_queueing_is_not_reminded(run_daily, django_capture_on_commit_callbacks):
    method = PaymentMethodFactory(exp_month=12, exp_year=2026)
    with at(2026, 12, 1):
        with django_capture_on_commit_callbacks(execute=False):
            tasks.payment_card_expiry_reminders_queue()
        method.removed_at = method.created_at
        method.save()
        assert tasks.payment_card_expiry_reminder_send(ExpiryReminder.objects.get().pk) is False
    assert mail.outbox == []


def test_the_reminder_speaks_the_members_language(run_daily):
    PaymentMethodFactory(exp_month=12, exp_year=2026, member__language="en", member__name="Emily Carter")
    with at(2026, 12, 1):
        run_daily()
    message = mail.outbox[0]
    assert message.subject == "[ICOCA Member Menu] Your payment card expires soon"
    assert "Dear Emily Carter," in message.body
    assert "VISA ••••0100" in message.body and "2026/12/31" in message.body
    assert "West Japan Railway Company" in message.body


def test_celery_beat_runs_the_reminders_daily_and_the_expiry_sweep():
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["payment-card-expiry-reminders"]["task"] == tasks.payment_card_expiry_reminders_queue.name
    assert schedule["payment-registrations-expire"]["task"] == tasks.payment_registrations_expire.name
