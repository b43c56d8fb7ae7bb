"""portal/mail.py: the one way the portal writes, sends once and retries a member's e-mail."""

from __future__ import annotations

from smtplib import SMTPServerDisconnected

import pytest
from celery import shared_task
from celery.exceptions import Retry
from django.core import mail
from django.template import TemplateDoesNotExist

from accounts.tests.factories import MemberFactory
from cards.models import CommuterPass
from cards.tests.factories import CommuterPassFactory
from portal import mail as member_mail

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PORTAL_BASE_URL = "https://portal.example.jp"


def test_the_message_is_in_the_members_language_with_the_site_name_and_links():
    commuter_pass = CommuterPassFactory(card__member__language="en", card__member__name="Emily Carter")
    member = commuter_pass.card.member

    member_mail.member_email_send(
        member=member,
        template="pass_reminder",
        context={"card": commuter_pass.card, "commuter_pass": commuter_pass, "days_left": 3, "card_url": "https://x/"},
        attachments=[member_mail.Attachment("a.pdf", b"%PDF-1.7", "application/pdf")],
    )

    (message,) = mail.outbox
    assert message.to == [member.email]
    assert message.subject.startswith("[ICOCA Member Menu] Your commuter pass ends on")
    assert "\n" not in message.subject
    assert message.body.startswith("Dear Emily Carter,")
    assert 'under "Settings" in the ICOCA Member Menu: https://portal.example.jp/settings/' in message.body
    assert message.attachments == [("a.pdf", b"%PDF-1.7", "application/pdf")]


def test_japanese_for_everyone_else_and_one_translated_template_serves_both(settings):
    member = MemberFactory(language="ja", name="山田 花子")
    assert member_mail.member_language(member) == "ja"
    assert member_mail.member_language(MemberFactory(language="en")) == "en"

    message = member_mail.member_email(
        member=member,
        template="payment_card_expiry_reminder",  # one file with {% translate %}
        context={"card": "VISA ••••0100", "expires_on": None, "payment_methods_url": ""},
    )
    assert message.subject == "【ICOCA会員メニュー】決済用カードの有効期限が近づいています"
    assert "西日本旅客鉄道株式会社" in message.body  # operator_name, in the member's language
    english = member_mail.member_email(
        member=member, language="en", template="payment_card_expiry_reminder",
        context={"card": "VISA ••••0100", "expires_on": None, "payment_methods_url": ""},
    )
    assert english.subject == "[ICOCA Member Menu] Your payment card expires soon"
    assert "West Japan Railway Company" in english.body


def _pass_rows(commuter_pass):
    return CommuterPass.objects.filter(pk=commuter_pass.pk)


def test_send_once_sends_once_however_often_it_runs():
    commuter_pass = CommuterPassFactory()
    sent = []

    assert member_mail.send_once(_pass_rows(commuter_pass), "reminder_sent_at", lambda: sent.append(1)) is True
    assert member_mail.send_once(_pass_rows(commuter_pass), "reminder_sent_at", lambda: sent.append(1)) is False

    assert sent == [1]
    commuter_pass.refresh_from_db()
    assert commuter_pass.reminder_sent_at is not None


def test_send_once_gives_the_claim_back_when_sending_fails():
    commuter_pass = CommuterPassFactory()

    def smtp_down():
        raise SMTPServerDisconnected("Connection unexpectedly closed")

    with pytest.raises(SMTPServerDisconnected):
        member_mail.send_once(_pass_rows(commuter_pass), "reminder_sent_at", smtp_down)
    commuter_pass.refresh_from_db()
    assert commuter_pass.reminder_sent_at is None
    assert member_mail.send_once(_pass_rows(commuter_pass), "reminder_sent_at", lambda: None) is True


def test_send_once_claims_nothing_that_is_not_due():
    commuter_pass = CommuterPassFactory()
    rows = _pass_rows(commuter_pass).filter(card__member__email_pass_reminders=False)
    assert member_mail.send_once(rows, "reminder_sent_at", lambda: pytest.fail("sent")) is False
    commuter_pass.refresh_from_db()
    assert commuter_pass.reminder_sent_at is None


def test_send_once_refuses_more_than_one_row():
    CommuterPassFactory.create_batch(2)
    with pytest.raises(ValueError):
        member_mail.send_once(CommuterPass.objects.all(), "reminder_sent_at", lambda: None)


ATTEMPTS: list[int] = []


@shared_task(base=member_mail.EmailTask, max_retries=2)
def _flaky_send(fail_times: int) -> str:
    ATTEMPTS.append(1)
    if len(ATTEMPTS) <= fail_times:
        raise ConnectionResetError("connection reset")
    return "sent"


class _Recording(member_mail.EmailTask):
    def give_up(self, error, *args, **kwargs):
        return f"gave up: {type(error).__name__}"


@shared_task(base=_Recording, max_retries=1)
def _always_failing() -> str:
    raise SMTPServerDisconnected("Connection unexpectedly closed")


@pytest.fixture
def eager(settings):
    from portal.celery import app

    ATTEMPTS.clear()
    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, False
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


def test_the_task_retries_temporary_errors_with_growing_capped_backoff(eager, monkeypatch):
    countdowns = []
    real_retry = member_mail.EmailTask.retry

    def recording_retry(self, *args, countdown=None, **kwargs):
        countdowns.append(countdown)
        return real_retry(self, *args, countdown=countdown, **kwargs)

    monkeypatch.setattr(member_mail.EmailTask, "retry", recording_retry)
    monkeypatch.setattr(member_mail.EmailTask, "retry_jitter", False)

    assert _flaky_send.delay(2).get() == "sent"

    assert len(ATTEMPTS) == 3
    assert countdowns == [30, 60]


def test_the_task_stops_after_its_retries_and_raises(eager):
    result = _flaky_send.delay(10)
    assert len(ATTEMPTS) == 3  # the first try and two retries
    assert isinstance(result.result, ConnectionResetError)


def test_a_task_can_record_the_failure_instead_of_raising(eager):
    assert _always_failing.delay().get() == "gave up: SMTPServerDisconnected"


def test_a_worker_schedules_the_retry(settings):
    from portal.celery import app

    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    ATTEMPTS.clear()
    try:
        with pytest.raises(Retry):
            _flaky_send.delay(1)
    finally:
        app.conf.task_always_eager, app.conf.task_eager_propagates = before


def test_the_send_tasks_run_as_email_tasks():
    from billing import tasks as billing_tasks
    from cards import tasks as cards_tasks

    for task in (cards_tasks.pass_reminder_send, billing_tasks.payment_card_expiry_reminder_send,
                 billing_tasks.document_email):
        task = task._get_current_object()
        assert isinstance(task, member_mail.EmailTask), task.name
        assert task.acks_late and task.reject_on_worker_lost and task.time_limit and task.soft_time_limit


def test_a_missing_template_is_an_error_not_an_empty_message():
    with pytest.raises(TemplateDoesNotExist):
        member_mail.member_email(member=MemberFactory(), template="no_such_email")
