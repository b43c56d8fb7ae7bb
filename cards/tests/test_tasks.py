"""The commuter-pass expiry reminder: who gets it, when, in which language,
and only once per pass however often beat or a worker runs."""

from __future__ import annotations

from datetime import date, datetime
from smtplib import SMTPException
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.exceptions import Retry
from django.core import mail
from django.core.mail import EmailMessage

from accounts.tests.factories import MemberFactory
from cards import services, tasks
from cards.models import CommuterPass
from cards.tests.factories import CardFactory, CommuterPassFactory
from portal import mail as mail_service

pytestmark = pytest.mark.django_db

JAPAN = ZoneInfo("Asia/Tokyo")
# 09:00 on 17 December 2026 in Japan: a pass valid until the 31st has 14 days left.
BEAT_TIME = datetime(2026, 12, 17, 9, 0, tzinfo=JAPAN)
IN_14_DAYS = date(2026, 12, 31)


@pytest.fixture(autouse=True)
def _eager_frozen_and_locmem(settings):
    """Tasks run in the test's process, at 09:00 Japan time on 17 December 2026."""
    from portal.celery import app

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    before = app.conf.task_always_eager, app.conf.task_eager_propagates, app.conf.task_ignore_result
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    app.conf.task_ignore_result = False
    with time_machine.travel(BEAT_TIME, tick=False):
        yield
    app.conf.task_always_eager, app.conf.task_eager_propagates, app.conf.task_ignore_result = before


def pass_ending(valid_until=IN_14_DAYS, **kwargs):
    return CommuterPassFactory(valid_from=date(2026, 10, 1), valid_until=valid_until, **kwargs)


def test_the_reminder_goes_out_14_days_before_in_japanese(settings):
    settings.PORTAL_BASE_URL = "http://portal.test"
    commuter_pass = pass_ending(card__nickname="仕事用", card__member__name="山田 花子")

    assert tasks.pass_reminders_send.delay().get() == 1

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    card = commuter_pass.card
    assert message.to == [card.member.email]
    assert message.subject == "【ICOCA会員メニュー】定期券の有効期限が近づいています（12月31日まで）"
    assert "山田 花子 様" in message.body
    assert "大阪⇔三ノ宮（JR神戸線経由）" in message.body
    assert "通勤定期券（3か月）" in message.body
    assert "2026年12月31日まで（あと14日）" in message.body
    assert f"仕事用（{card.masked_number}）" in message.body
    assert card.icoca_number not in message.body
    assert "「設定」で停止できます：http://portal.test/settings/" in message.body
    assert f"このICOCAと定期券の詳細：http://portal.test/cards/{card.public_id}/" in message.body
    commuter_pass.refresh_from_db()
    assert commuter_pass.reminder_sent_at is not None


def test_a_member_who_chose_english_gets_it_in_english():
    pass_ending(card__member__language="en", card__member__name="Emily Carter", kind="student", months=1)

    tasks.pass_reminders_send.delay()

    message = mail.outbox[0]
    assert message.subject == "[ICOCA Member Menu] Your commuter pass ends on 31 December 2026"
    assert "Dear Emily Carter," in message.body
    assert "student pass, 1 month" in message.body
    assert "Valid until: 31 December 2026 (14 days left)" in message.body
    assert "Osaka - Sannomiya (via JR Kobe Line)" in message.body  # the station table (cards/stations.py)


def test_beat_running_twice_sends_one_reminder_per_pass():
    pass_ending()
    pass_ending()

    tasks.pass_reminders_send.delay()
    tasks.pass_reminders_send.delay()

    assert len(mail.outbox) == 2


def test_a_replayed_send_task_sends_nothing_more():
    commuter_pass = pass_ending()

    assert tasks.pass_reminder_send.delay(commuter_pass.pk).get() is True
    assert tasks.pass_reminder_send.delay(commuter_pass.pk).get() is False

    assert len(mail.outbox) == 1


def test_a_pass_another_worker_has_claimed_is_left_to_it():
    commuter_pass = pass_ending()
    # Another worker's claim lands between this worker's check and its own claim.
    CommuterPass.objects.filter(pk=commuter_pass.pk).update(reminder_sent_at=BEAT_TIME)

    assert services.pass_reminder_send(commuter_pass_id=commuter_pass.pk) is False
    assert mail.outbox == []


def test_a_day_the_beat_missed_is_caught_up():
    pass_ending(valid_until=date(2026, 12, 30))  # 13 days left: yesterday's run did not happen

    tasks.pass_reminders_send.delay()

    assert "あと13日" in mail.outbox[0].body


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: pass_ending(valid_until=date(2027, 1, 1)), id="15 days left"),
        pytest.param(lambda: pass_ending(valid_until=date(2026, 12, 16)), id="expired yesterday"),
        pytest.param(lambda: pass_ending(card__member__email_pass_reminders=False), id="turned off"),
        pytest.param(lambda: pass_ending(card__member__email=""), id="no address"),
        pytest.param(lambda: pass_ending(card__member__is_active=False), id="member deactivated"),
        pytest.param(lambda: pass_ending(card__reissued=True), id="card reissued"),
        pytest.param(lambda: pass_ending(card__refunded=True), id="card refunded"),
        pytest.param(lambda: pass_ending(reminder_sent_at=BEAT_TIME), id="already sent"),
    ],
)
def test_no_reminder(make):
    make()

    assert tasks.pass_reminders_send.delay().get() == 0
    assert mail.outbox == []


def test_no_reminder_once_the_renewal_is_bought():
    card = CardFactory()
    pass_ending(card=card)
    CommuterPassFactory(card=card, valid_from=date(2027, 1, 1), valid_until=date(2027, 3, 31))

    tasks.pass_reminders_send.delay()

    assert mail.outbox == []


def test_a_member_who_turns_it_off_after_the_run_started_gets_nothing():
    commuter_pass = pass_ending()
    member = commuter_pass.card.member
    member.email_pass_reminders = False
    member.save()

    assert services.pass_reminder_send(commuter_pass_id=commuter_pass.pk) is False
    assert mail.outbox == []


def test_a_suspended_or_deposited_card_still_gets_its_reminder():
    pass_ending(card__suspended=True)
    pass_ending(card__deposited=True)

    tasks.pass_reminders_send.delay()

    assert len(mail.outbox) == 2


def test_a_failed_send_gives_the_claim_back(monkeypatch):
    commuter_pass = pass_ending()

    def smtp_down(self, fail_silently=False):
        raise SMTPException("451 try again later")

    monkeypatch.setattr(EmailMessage, "send", smtp_down)
    with pytest.raises(SMTPException):
        services.pass_reminder_send(commuter_pass_id=commuter_pass.pk)

    commuter_pass.refresh_from_db()
    assert commuter_pass.reminder_sent_at is None  # the next retry, or tomorrow's run, sends it


def test_a_temporary_failure_is_retried_and_then_sent_once(monkeypatch):
    commuter_pass = pass_ending()
    real_send = EmailMessage.send
    attempts = []

    def flaky(self, fail_silently=False):
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionError("connection reset")
        return real_send(self, fail_silently)

    monkeypatch.setattr(EmailMessage, "send", flaky)
    with pytest.raises(Retry):  # eager mode raises what a worker would schedule
        tasks.pass_reminder_send.delay(commuter_pass.pk)
    commuter_pass.refresh_from_db()
    assert commuter_pass.reminder_sent_at is None and mail.outbox == []

    tasks.pass_reminder_send.delay(commuter_pass.pk)  # the retry
    tasks.pass_reminder_send.delay(commuter_pass.pk)  # and a replay of it

    assert len(attempts) == 2
    assert len(mail.outbox) == 1
    commuter_pass.refresh_from_db()
    assert commuter_pass.reminder_sent_at is not None


def test_the_retries_back_off_and_stop():
    task = tasks.pass_reminder_send
    assert isinstance(task._get_current_object(), mail_service.EmailTask)  # portal/tests/test_mail.py tests its retries
    assert task.retry_backoff and task.max_retries == 8
    assert task.acks_late and task.reject_on_worker_lost and task.time_limit


def test_the_task_goes_to_the_mail_queue():
    from portal.celery import app

    route = app.amqp.router.route({}, tasks.pass_reminder_send.name, args=(1,), kwargs={})

    assert route["queue"].name == "mail"


def test_the_reminder_counts_days_in_japan_time():
    # 23:30 UTC on 16 December is already 08:30 on 17 December in Japan.
    pass_ending()
    with time_machine.travel(datetime(2026, 12, 16, 23, 30, tzinfo=ZoneInfo("UTC")), tick=False):
        tasks.pass_reminders_send.delay()
    assert "あと14日" in mail.outbox[0].body


def test_members_are_kept_apart():
    mine = pass_ending(card__member=MemberFactory(email="a@example.jp"))
    theirs = pass_ending(card__member=MemberFactory(email="b@example.jp"))

    tasks.pass_reminders_send.delay()

    by_address = {message.to[0]: message.body for message in mail.outbox}
    assert mine.card.masked_number in by_address["a@example.jp"]
    assert theirs.card.masked_number not in by_address["a@example.jp"]
