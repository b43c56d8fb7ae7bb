import pytest

from accounts.models import AuditEvent
from accounts.services import audit_record
from accounts.tests.factories import MemberFactory, StaffFactory

pytestmark = pytest.mark.django_db


def test_an_audit_entry_records_who_did_what_to_whom():
    member, staff = MemberFactory(), StaffFactory()

    event = audit_record(
        actor=staff, member=member, action="card.reissue", detail={"card": "abc"}, reason="電話で依頼"
    )

    event.refresh_from_db()
    assert (event.actor, event.member, event.action) == (staff, member, "card.reissue")
    assert event.detail == {"card": "abc"}
    assert event.reason == "電話で依頼"
    assert event.at is not None
    assert list(member.audit_events.all()) == [event]


def test_the_system_may_act_without_an_actor():
    event = audit_record(actor=None, member=MemberFactory(), action="payment_registration.abandoned")
    assert event.actor is None and event.detail == {}


@pytest.mark.parametrize("detail", [{"token": "tok"}, {"card": {"Number": "4100"}}, {"steps": [{"cvc": "123"}]}])
def test_an_audit_entry_refuses_secrets_in_its_detail(detail):
    with pytest.raises(ValueError, match="may not hold"):
        audit_record(actor=None, member=MemberFactory(), action="x", detail=detail)
    assert not AuditEvent.objects.exists()
