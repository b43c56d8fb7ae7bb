"""The support center sees documents read only and can download their PDF;
members cannot reach it there."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from accounts.tests.factories import MemberFactory, StaffFactory
from billing.documents import services as document_services
from billing.models import DocumentStatus
from billing.tests.document_data import month_of_payments

pytestmark = pytest.mark.django_db(transaction=True)
JAPAN = ZoneInfo("Asia/Tokyo")


@pytest.fixture(autouse=True)
def frozen_time(eager_tasks, media_root):
    with time_machine.travel(datetime(2026, 11, 25, 10, 0, tzinfo=JAPAN), tick=False):
        yield


@pytest.fixture
def document():
    member = MemberFactory()
    month_of_payments(member)
    document = document_services.receipt_request_month(member=member, year=2026, month=10).document
    document.refresh_from_db()
    assert document.status == DocumentStatus.READY
    return document


def test_staff_download_a_members_document_from_the_admin(client, document):
    staff = StaffFactory(is_superuser=True)
    TOTP.activate(staff, generate_totp_secret())
    client.force_login(staff)
    page = client.get(f"/admin/billing/document/{document.pk}/change/").content.decode()
    assert document.number in page and "ダウンロード" in page
    response = client.get(f"/admin/billing/document/{document.pk}/pdf/")
    assert response.status_code == 200
    assert {"private", "no-store"} <= {part.strip() for part in response["Cache-Control"].split(",")}
    assert b"".join(response.streaming_content) == document.file.read()


def test_a_member_cannot_download_from_the_admin(client, document):
    client.force_login(document.member)
    assert client.get(f"/admin/billing/document/{document.pk}/pdf/").status_code == 404


def test_the_bulk_retry_is_for_operators_only(client, document):
    from django.apps import apps
    from django.contrib.auth.models import Group

    from support import roles

    roles.groups_sync(apps)  # a transactional test flushed the migration's groups
    agent = StaffFactory()
    agent.groups.add(Group.objects.get(name=roles.AGENT))
    TOTP.activate(agent, generate_totp_secret())
    client.force_login(agent)
    type(document).objects.filter(pk=document.pk).update(status=DocumentStatus.FAILED)
    page = client.get(f"/admin/billing/document/?member={document.member_id}")  # agents: within one member
    assert page.status_code == 200
    assert "retry_failed" not in page.content.decode()

    response = client.post(
        "/admin/billing/document/", {"action": "retry_failed", "_selected_action": [document.pk]}
    )
    assert response.status_code in (200, 302)
    document.refresh_from_db()
    assert document.status == DocumentStatus.FAILED  # nothing was re-run
