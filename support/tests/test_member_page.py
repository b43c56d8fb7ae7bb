"""The member page: everything about one member (and nothing of anyone
else), numbers masked for agents, every view audited."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AuditEvent
from accounts.services import audit_record
from billing.tests.factories import PaymentMethodFactory
from cards.models import Refund
from cards.tests.factories import CardFactory, CommuterPassFactory, UsageRecordFactory
from support.selectors import USAGE_PAGE
from support.tests.helpers import agent, document, member_with_everything, supervisor

pytestmark = pytest.mark.django_db


def page_of(client, member, **params):
    return client.get(reverse("admin:accounts_member_change", args=[member.pk]), params)


def test_an_agent_sees_the_whole_member_with_masked_numbers(client):
    member, phone, _watch = member_with_everything()
    staff = agent()
    client.force_login(staff)

    response = page_of(client, member)

    assert response.status_code == 200
    html = response.content.decode()
    for text in ("山田 花子", "sub-hanako", "hanako@example.jp", "仕事用", "4,210円", "利用中", "iPhone",
                 "大阪⇔三ノ宮", "VISA ••••4242", f"R-202611-{member.pk:06d}", "作成済み", "送信済み",
                 "さらに前の利用", "操作記録"):
        assert text in html, text
    assert phone.masked_number in html
    assert phone.icoca_number not in html
    assert "4242424242424242" not in html
    assert len(response.context["page"]["usage"]) == USAGE_PAGE


def test_a_supervisor_sees_the_full_icoca_number(client):
    member, phone, _ = member_with_everything()
    client.force_login(supervisor())
    assert phone.icoca_number in page_of(client, member).content.decode()


def test_every_view_is_audited_with_who_and_which_member(client):
    member, _, _ = member_with_everything()
    staff = agent()
    client.force_login(staff)

    first = page_of(client, member)
    cursor = first.context["page"]["usage_next"].encode()
    second = page_of(client, member, before=cursor)

    views = list(AuditEvent.objects.filter(action="support.member_view").order_by("id"))
    assert [(e.actor_id, e.member_id, e.detail["page"]) for e in views] == [
        (staff.pk, member.pk, "member_page"), (staff.pk, member.pk, "usage_page")
    ]
    # The next usage page continues where the first stopped (keyset), no overlap.
    ids_first = {line.item.pk for line in first.context["page"]["usage"]}
    ids_second = {line.item.pk for line in second.context["page"]["usage"]}
    assert ids_second and not ids_first & ids_second


def test_another_members_data_never_shows(client):
    member, _, _ = member_with_everything()
    other, other_phone, _ = member_with_everything(
        wester_id="sub-other", name="佐藤 一郎", email="ichiro@example.jp", number="JW7A0000000999999"
    )
    UsageRecordFactory(card=other_phone, merchant="他人の店")
    PaymentMethodFactory(member=other, last4="9999")
    Refund.objects.create(
        center_id="R-OTHER", card=other_phone, refunded_at=other_phone.issued_at, balance=1000, fee=220, total=780,
        destination_method="bank", digest="x",
    )
    document(other, number="R-OTHER-000001")
    audit_record(actor=other, member=other, action="other.secret")
    client.force_login(supervisor())

    html = page_of(client, member).content.decode()

    for text in ("佐藤 一郎", "ichiro@example.jp", "JW7A0000000999999", "他人の店", "••••9999", "R-OTHER",
                 "other.secret", "780円"):
        assert text not in html, text


def test_agents_see_the_members_own_trail_but_not_other_staffs_entries(client):
    member, _, _ = member_with_everything()
    someone_else = supervisor(username="sv-tanaka")
    audit_record(actor=member, member=member, action="payment_method.register")
    audit_record(actor=someone_else, member=member, action="card.lost_device_report", reason="電話で依頼")
    staff = agent()
    client.force_login(staff)

    trail = [line.event.action for line in page_of(client, member).context["page"]["audit"]]
    assert "payment_method.register" in trail and "support.member_view" in trail
    assert "card.lost_device_report" not in trail

    client.force_login(someone_else)
    trail = [line.event.action for line in page_of(client, member).context["page"]["audit"]]
    assert "card.lost_device_report" in trail


def member_page_queries(client, member) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = page_of(client, member)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_the_member_page_reads_a_fixed_number_of_queries(client):
    member, _phone, _ = member_with_everything()
    client.force_login(supervisor())
    page_of(client, member)
    few, _html = member_page_queries(client, member)

    more = [CardFactory(member=member) for _ in range(3)]
    for card in more:
        CommuterPassFactory(card=card)
        UsageRecordFactory(card=card)
    many, html = member_page_queries(client, member)

    assert many == few <= 25
    for card in more:
        assert card.icoca_number in html  # a supervisor sees the full numbers: the new cards are on it


def test_a_refunded_card_shows_its_refund_not_a_balance(client):
    """Issue 14 §5: support sees what the member sees, 払いもどし済み with the date and amount."""
    from billing.tests.document_data import domain_example_refund

    member, _phone, _watch = member_with_everything()
    refund = domain_example_refund(member)
    refund.card.balance = 2920
    refund.card.save()
    client.force_login(agent())
    html = page_of(client, member).content.decode()
    row = html.split(refund.card.masked_number, 1)[1].split("</tr>", 1)[0]
    assert "払いもどし済み" in row and "2026-08-20 払いもどし 7,920円" in row
    assert "2,920円" not in row
