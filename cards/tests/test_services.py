"""Card services: renaming and the lost-device report."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.tests.factories import MemberFactory, StaffFactory
from cards import services
from cards.exceptions import CardNotFound, NoCardToSuspend
from cards.models import Card, CardStatus, Device
from cards.nicknames import InvalidNickname
from cards.tests.factories import CardFactory

pytestmark = pytest.mark.django_db


def test_a_card_is_renamed_trimmed():
    card = CardFactory(nickname="古い名前")

    services.card_rename(member=card.member, card=card, nickname="\u3000仕事用 ")

    card.refresh_from_db()
    assert card.nickname == "仕事用"


@pytest.mark.parametrize("nickname", ["", "   ", "漢" * 21, "仕事🚃", "仕事\n用", "\u200b"])
def test_a_bad_name_changes_nothing(nickname):
    card = CardFactory(nickname="仕事用")
    before = Card.objects.values().get(pk=card.pk)

    with pytest.raises(InvalidNickname):
        services.card_rename(member=card.member, card=card, nickname=nickname)

    assert Card.objects.values().get(pk=card.pk) == before


def test_another_members_card_cannot_be_renamed():
    card = CardFactory(nickname="仕事用")

    with pytest.raises(CardNotFound):
        services.card_rename(member=MemberFactory(), card=card, nickname="横取り")

    card.refresh_from_db()
    assert card.nickname == "仕事用"


def test_a_lost_device_stops_every_active_or_deposited_card_on_it_at_once():
    member = MemberFactory()
    work = CardFactory(member=member, device=Device.IPHONE, nickname="仕事用")
    parked = CardFactory(member=member, device=Device.IPHONE, deposited=True)
    watch = CardFactory(member=member, device=Device.APPLE_WATCH)
    old = CardFactory(member=member, device=Device.IPHONE, refunded=True)
    someone_elses = CardFactory(device=Device.IPHONE)

    stopped = services.lost_device_report(member=member, device=Device.IPHONE, actor=member)

    assert {card.pk for card in stopped} == {work.pk, parked.pk}
    rows = {card.pk: card for card in Card.objects.all()}
    assert rows[work.pk].status == rows[parked.pk].status == CardStatus.SUSPENDED
    assert rows[work.pk].suspended_at == rows[parked.pk].suspended_at
    assert abs((timezone.now() - rows[work.pk].suspended_at).total_seconds()) < 60
    assert rows[watch.pk].status == CardStatus.ACTIVE and rows[watch.pk].suspended_at is None
    assert rows[old.pk].status == CardStatus.REFUNDED
    assert rows[someone_elses.pk].status == CardStatus.ACTIVE
    assert rows[work.pk].nickname == "仕事用" and rows[work.pk].balance == work.balance  # nothing else changes


def test_a_lost_device_report_is_audited_without_the_full_number():
    member = MemberFactory()
    card = CardFactory(member=member, device=Device.ANDROID)

    services.lost_device_report(member=member, device=Device.ANDROID, actor=member)

    event = AuditEvent.objects.get(member=member)
    assert event.action == "card.lost_device_report"
    assert event.actor == member
    assert event.detail == {
        "device": "android",
        "cards": [{"public_id": str(card.public_id), "last4": card.icoca_number[-4:], "previous_status": "active"}],
    }
    assert card.icoca_number not in str(event.detail)


def test_staff_report_a_lost_device_on_a_members_behalf_with_a_reason():
    member, staff = MemberFactory(), StaffFactory()
    CardFactory(member=member, device=Device.ANDROID)

    services.lost_device_report(member=member, device=Device.ANDROID, actor=staff, reason="電話で依頼あり")

    event = AuditEvent.objects.get(member=member)
    assert (event.actor, event.reason) == (staff, "電話で依頼あり")


def test_the_lost_device_log_line_has_no_card_number(caplog):
    member = MemberFactory()
    card = CardFactory(member=member, device=Device.ANDROID)

    with caplog.at_level("INFO", logger="cards.services"):
        services.lost_device_report(member=member, device=Device.ANDROID, actor=member)

    assert "lost device reported" in caplog.text
    assert all(card.icoca_number not in str(record.__dict__) for record in caplog.records)


@pytest.mark.parametrize("status", ["suspended", "reissued", "refunded"])
def test_nothing_to_stop_is_refused_with_a_clear_message(status):
    card = CardFactory(device=Device.ANDROID, status=status)

    with pytest.raises(NoCardToSuspend, match="Androidには利用を停止できるICOCAがありません"):
        services.lost_device_report(member=card.member, device=Device.ANDROID, actor=card.member)

    assert not AuditEvent.objects.exists()


def test_an_unknown_device_is_refused():
    card = CardFactory()
    with pytest.raises(NoCardToSuspend):
        services.lost_device_report(member=card.member, device="pager", actor=card.member)


def test_a_failed_report_stops_no_card(monkeypatch):
    member = MemberFactory()
    CardFactory(member=member, device=Device.ANDROID)
    CardFactory(member=member, device=Device.ANDROID)

    def audit_down(**kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(services, "audit_record", audit_down)
    with pytest.raises(RuntimeError):
        services.lost_device_report(member=member, device=Device.ANDROID, actor=member)

    assert set(Card.objects.values_list("status", flat=True)) == {CardStatus.ACTIVE}
    assert not Card.objects.filter(suspended_at__isnull=False).exists()
