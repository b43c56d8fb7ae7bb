"""閲覧の記録: a supervisor lists every staff read of one member, and every
read by one staff account over a period; agents cannot. And the audit trail
in words."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.services import audit_record
from accounts.tests.factories import MemberFactory
from cards.window import japan_today
from support.audit_words import audit_words
from support.tests.helpers import agent, member_with_everything, supervisor

pytestmark = pytest.mark.django_db
READS = "admin:accounts_auditevent_reads"


def test_a_supervisor_sees_who_looked_at_a_member(client):
    member, _phone, _watch = member_with_everything()
    other = MemberFactory(wester_id="sub-other", name="田中 太郎")
    looker = agent(username="agent-looker")
    client.force_login(looker)
    client.get(reverse("admin:accounts_member_change", args=[member.pk]))
    client.get(reverse("admin:billing_document_changelist") + f"?member={member.pk}")
    client.get(reverse("admin:accounts_member_change", args=[other.pk]))
    client.force_login(supervisor(username="sv-1"))

    page = client.get(reverse(READS), {"wester_id": "sub-hanako"})

    assert page.status_code == 200
    reads = page.context["reads"]
    assert {line.event.actor.username for line in reads} == {"agent-looker"}
    assert {line.event.member_id for line in reads} == {member.pk}
    html = page.content.decode()
    assert "会員ページを表示" in html and "書類の一覧を表示" in html


def test_a_supervisor_lists_what_one_staff_account_read_over_a_period(client):
    member, _phone, _watch = member_with_everything()
    looker = agent(username="agent-2")
    old = AuditEvent.objects.create(actor=looker, member=member, action="support.member_view",
                                    detail={"page": "member_page"})
    AuditEvent.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=60))
    recent = AuditEvent.objects.create(actor=looker, member=member, action="support.member_view",
                                       detail={"page": "documents"})
    client.force_login(supervisor())

    last_month = client.get(reverse(READS), {"staff": "agent-2"})
    assert [line.event.pk for line in last_month.context["reads"]] == [recent.pk]
    since = (japan_today() - timedelta(days=90)).isoformat()
    longer = client.get(reverse(READS), {"staff": "agent-2", "since": since})
    assert [line.event.pk for line in longer.context["reads"]] == [recent.pk, old.pk]


@pytest.mark.parametrize(
    "query",
    [{}, {"wester_id": "a", "staff": "b"}, {"staff": "x", "since": "2026-12-01", "until": "2026-11-01"},
     {"staff": "x", "since": "2020-01-01", "until": "2026-11-01"}, {"staff": "x", "since": "not a date"}],
)
def test_the_reads_form_refuses_bad_input(client, query):
    client.force_login(supervisor())
    response = client.get(reverse(READS), {**query, "go": "1"})
    assert response.status_code == 200
    assert response.context["reads"] is None
    assert 'role="alert"' in response.content.decode()


def test_nobody_by_that_key(client):
    client.force_login(supervisor())
    response = client.get(reverse(READS), {"wester_id": "nobody"})
    assert response.context["reads"] is None and "該当する会員・スタッフはいません" in response.content.decode()


def test_agents_cannot_list_reads(client):
    client.force_login(agent())
    assert client.get(reverse(READS), {"staff": "x"}).status_code == 403


@pytest.mark.parametrize(
    ("action", "detail", "reason", "words"),
    [
        ("payment_registration.failed", {"brand": "VISA", "last4": "4242"}, "holder_name_mismatch",
         "カード登録失敗：名義が会員と不一致（VISA ••••4242）"),
        ("payment_method.removed", {"brand": "JCB", "last4": "0001"}, "", "決済用カードを削除（JCB ••••0001）"),
        ("support.member_view", {"page": "document_pdf", "document_number": "R-1"}, "", "書類のPDFを表示（R-1）"),
        ("card.lost_device_report", {}, "電話", "紛失・故障の再発行登録"),
        ("something.new", {}, "", "something.new"),
    ],
)
def test_audit_entries_read_as_words(action, detail, reason, words):
    assert audit_words(action, detail, reason) == words


def test_the_member_page_shows_the_trail_in_words(client):
    member, _phone, _watch = member_with_everything()
    audit_record(actor=member, member=member, action="payment_registration.failed",
                 detail={"brand": "VISA", "last4": "4242"}, reason="holder_name_mismatch")
    client.force_login(agent())
    html = client.get(reverse("admin:accounts_member_change", args=[member.pk])).content.decode()
    assert "カード登録失敗：名義が会員と不一致（VISA ••••4242）" in html
    assert "payment_registration.failed" not in html and "holder_name_mismatch" not in html


def test_audit_words_follow_the_staff_language():
    from django.utils import translation

    with translation.override("en"):
        assert audit_words("payment_method.removed", {"brand": "VISA", "last4": "4242"}) == \
            "Payment card removed（VISA ••••4242）"
        assert audit_words("support.member_view", {"page": "member_page"}) == "Viewed the member page"
