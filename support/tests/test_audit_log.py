"""The audit log can be read (supervisors, operators) but never added to,
changed or deleted from the admin: not even by a superuser."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from accounts.services import audit_record
from accounts.tests.factories import MemberFactory
from support.tests.helpers import agent, staff_in, supervisor

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("make", [supervisor, lambda: staff_in(None, superuser=True)], ids=["supervisor", "superuser"])
def test_nobody_can_add_change_or_delete_an_audit_entry(client, make):
    member = MemberFactory()
    entry = audit_record(actor=member, member=member, action="card.rename", reason="original")
    client.force_login(make())

    assert client.get(reverse("admin:accounts_auditevent_changelist")).status_code == 200
    detail = client.get(reverse("admin:accounts_auditevent_change", args=[entry.pk]))
    assert detail.status_code == 200 and 'name="reason"' not in detail.content.decode()
    assert client.get(reverse("admin:accounts_auditevent_add")).status_code == 403
    assert client.post(reverse("admin:accounts_auditevent_add"), {"action": "x", "member": member.pk}).status_code == 403
    client.post(reverse("admin:accounts_auditevent_change", args=[entry.pk]), {"reason": "edited", "action": "x"})
    assert client.get(reverse("admin:accounts_auditevent_delete", args=[entry.pk])).status_code == 403
    assert client.post(reverse("admin:accounts_auditevent_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    bulk = client.post(
        reverse("admin:accounts_auditevent_changelist"),
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)

    entry.refresh_from_db()
    assert (entry.action, entry.reason) == ("card.rename", "original")
    assert AuditEvent.objects.count() == 1


def test_the_audit_log_answers_a_search_by_member_or_staff(client):
    member = MemberFactory(wester_id="W-777")
    staff = agent(username="agent-kimura")
    audit_record(actor=staff, member=member, action="support.member_view")
    audit_record(actor=member, member=MemberFactory(), action="other")
    client.force_login(supervisor())
    url = reverse("admin:accounts_auditevent_changelist")
    assert len(client.get(url, {"q": "W-777"}).context["cl"].result_list) == 1
    assert len(client.get(url, {"q": "agent-kimura"}).context["cl"].result_list) == 1


def test_agents_cannot_open_the_audit_log(client):
    client.force_login(agent())
    assert client.get(reverse("admin:accounts_auditevent_changelist")).status_code == 403
