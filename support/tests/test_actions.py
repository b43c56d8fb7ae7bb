"""Actions on a member's behalf: POST only, CSRF, a confirmation page, a
reason required and written to the audit log."""

from __future__ import annotations

from importlib import import_module

import pytest
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent
from billing.models import DocumentStatus
from cards.models import CardStatus
from support.tests.helpers import agent, document, member_with_everything, supervisor

pytestmark = pytest.mark.django_db

SessionStore = import_module(settings.SESSION_ENGINE).SessionStore


def action_url(member, slug):
    return reverse("admin:accounts_member_support_action", args=[member.pk, slug])


@pytest.fixture
def setup(client):
    member, phone, watch = member_with_everything()
    staff = agent()
    client.force_login(staff)
    return member, phone, watch, staff


def test_lost_device_asks_for_confirmation_then_suspends_with_the_reason(client, setup):
    member, phone, watch, staff = setup

    confirm = client.get(action_url(member, "lost-device"))
    assert confirm.status_code == 200
    html = confirm.content.decode()
    assert "取り消せません" in html and 'name="reason"' in html and "csrfmiddlewaretoken" in html
    phone.refresh_from_db()
    assert phone.status == CardStatus.ACTIVE  # a GET changes nothing

    response = client.post(action_url(member, "lost-device"), {"device": "iphone", "reason": "電話で紛失の申告（受付 123）"})

    assert response.status_code == 302
    phone.refresh_from_db()
    watch.refresh_from_db()
    assert phone.status == CardStatus.SUSPENDED and watch.status == CardStatus.ACTIVE
    entry = AuditEvent.objects.get(action="card.lost_device_report")
    assert (entry.actor, entry.member, entry.reason) == (staff, member, "電話で紛失の申告（受付 123）")
    assert "icoca_number" not in str(entry.detail) and phone.icoca_number not in str(entry.detail)


@pytest.mark.parametrize("slug", ["lost-device", "sessions-end", "document-resend", "document-rerun", "unlock"])
def test_every_action_requires_a_reason(client, setup, slug):
    member, phone, _, _ = setup
    member.is_active = False
    member.save()
    doc = member.documents.get()
    data = {"device": "iphone", "document": str(doc.public_id), "reason": "   "}

    response = client.post(action_url(member, slug) + f"?document={doc.public_id}", data)

    assert response.status_code == 400
    assert "理由を入力してください。" in response.content.decode()
    assert not AuditEvent.objects.exclude(action="support.member_view").exists()
    phone.refresh_from_db()
    assert phone.status == CardStatus.ACTIVE


def test_actions_need_the_csrf_token():
    member, _, _ = member_with_everything()
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent())
    response = client.post(action_url(member, "sessions-end"), {"reason": "test"})
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="support.sessions_end").exists()


def test_resend_a_receipt_by_email(client, setup, django_capture_on_commit_callbacks):
    member, _, _, staff = setup
    doc = member.documents.get()

    confirm = client.get(action_url(member, "document-resend"), {"document": str(doc.public_id)})
    assert doc.number in confirm.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            action_url(member, "document-resend"), {"document": str(doc.public_id), "reason": "届いていない"}
        )

    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [member.email]
    assert mail.outbox[0].attachments[0][2] == "application/pdf"
    entry = AuditEvent.objects.get(action="support.document_resend")
    assert (entry.actor, entry.reason, entry.detail["document_number"]) == (staff, "届いていない", doc.number)
    assert entry.detail["how"] == "sent_again"


def test_resend_a_document_whose_email_failed_goes_through_the_mail_queue(
    client, setup, monkeypatch, django_capture_on_commit_callbacks
):
    member, _, _, staff = setup
    failed = document(member, number="R-MAILFAIL-1", emailed=False, email_failed_reason="SMTPServerDisconnected")
    queued = []
    monkeypatch.setattr("portal.queue.task_send", lambda name, *args: queued.append((name, args)) or True)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            action_url(member, "document-resend"), {"document": str(failed.public_id), "reason": "メールが届かない"}
        )

    assert response.status_code == 302
    assert queued == [("billing.documents.tasks.document_email", (failed.pk,))]
    assert mail.outbox == []  # sent by the mail task, not inside the request
    failed.refresh_from_db()
    assert failed.email_failed_reason == "" and failed.emailed_at is None and failed.email_queued_at is not None
    entry = AuditEvent.objects.get(action="support.document_resend")
    assert (entry.actor, entry.detail["how"]) == (staff, "retry")


def test_resend_after_a_failed_email_sends_it_once_by_the_mail_task(client, setup, django_capture_on_commit_callbacks):
    member, _, _, _ = setup
    failed = document(member, number="R-MAILFAIL-2", emailed=False, email_failed_reason="SMTPServerDisconnected")

    with django_capture_on_commit_callbacks(execute=True):
        client.post(action_url(member, "document-resend"), {"document": str(failed.public_id), "reason": "再送"})

    assert [m.to for m in mail.outbox] == [[member.email]]
    failed.refresh_from_db()
    assert failed.emailed_at is not None and failed.email_attempts == 1


def test_resend_refuses_another_members_document(client, setup):
    member, _, _, _ = setup
    other, _, _ = member_with_everything(wester_id="sub-x", email="x@example.jp", number="JW7A0000000888888")
    theirs = other.documents.get()
    response = client.post(action_url(member, "document-resend"), {"document": str(theirs.public_id), "reason": "x"})
    assert response.status_code == 404
    assert mail.outbox == []


def test_rerun_a_failed_document(client, setup, monkeypatch, django_capture_on_commit_callbacks):
    member, _, _, _staff = setup
    failed = document(member, number="R-FAILED-1", status=DocumentStatus.FAILED, failure_reason="font missing")
    sent = []
    monkeypatch.setattr("portal.queue.task_send", lambda name, *args: sent.append(args[0]) or True)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            action_url(member, "document-rerun"), {"document": str(failed.public_id), "reason": "再作成の依頼"}
        )

    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == DocumentStatus.PENDING and sent == [failed.pk]
    assert AuditEvent.objects.get(action="support.document_rerun").reason == "再作成の依頼"


def test_end_all_sessions(client, setup):
    member, _, _, _staff = setup
    member_client = Client()
    member_client.force_login(member)
    key = member_client.session.session_key
    UserSession.objects.create(user=member, ip="192.0.2.1", session_key=key, user_agent="phone")

    response = client.post(action_url(member, "sessions-end"), {"reason": "不正利用の疑い"})

    assert response.status_code == 302
    assert not UserSession.objects.filter(user=member).exists()
    assert not SessionStore().exists(key)
    entry = AuditEvent.objects.get(action="support.sessions_end")
    assert entry.detail == {"sessions": 1} and entry.reason == "不正利用の疑い"


def test_unlock_a_deactivated_member(client, setup):
    member, _, _, _staff = setup
    member.is_active = False
    member.save()

    page = client.get(reverse("admin:accounts_member_change", args=[member.pk])).content.decode()
    assert "ロック中" in page and "ロックを解除" in page
    response = client.post(action_url(member, "unlock"), {"reason": "本人確認済み"})

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.is_active
    assert AuditEvent.objects.get(action="support.member_unlock").reason == "本人確認済み"
    again = client.post(action_url(member, "unlock"), {"reason": "本人確認済み"})
    assert again.status_code == 400 and "ロックされていません" in again.content.decode()


def test_supervisors_run_the_actions_too(client):
    member, _, _ = member_with_everything()
    client.force_login(supervisor())
    assert client.post(action_url(member, "sessions-end"), {"reason": "x"}).status_code == 302
