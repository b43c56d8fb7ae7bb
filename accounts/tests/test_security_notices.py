"""Security-relevant changes are confirmed by e-mail (portal.mail, after commit, through the
mail task), in the member's language, with a link back and what to do if it was not them."""

from __future__ import annotations

import pytest
from django.core import mail as outbox

from accounts.models import SecurityNotice
from accounts.services import security_notice_send
from accounts.tests.factories import MemberFactory
from billing.payment_methods.exceptions import PaymentRegistrationFailed
from billing.payment_methods.services.methods import payment_method_remove, payment_method_set_default
from billing.payment_methods.services.registration import payment_registration_complete
from billing.tests.factories import PaymentMethodFactory
from billing.tests.sandbox_client import HANAKO, register_through_sandbox
from cards.models import CardStatus
from cards.services import lost_device_report
from cards.tests.factories import CardFactory

pytestmark = pytest.mark.django_db

BASE = "http://127.0.0.1:8000"


@pytest.fixture
def hanako():
    return MemberFactory(**HANAKO, email="hanako@example.jp", language="ja")


@pytest.fixture
def emily():
    return MemberFactory(first_name="EMILY", last_name="CARTER", name="Emily Carter", email="emily@example.com",
                         language="en")


def _only_message():
    assert len(outbox.outbox) == 1, [m.subject for m in outbox.outbox]
    return outbox.outbox[0]


def _lost(member, django_capture_on_commit_callbacks):
    CardFactory(member=member, device="iphone", nickname="通勤用", icoca_number="JW000000000001234")
    CardFactory(member=member, device="iphone", nickname="", icoca_number="JW000000000005678",
                status=CardStatus.DEPOSITED)
    with django_capture_on_commit_callbacks(execute=True):
        lost_device_report(member=member, device="iphone")


def test_a_lost_device_names_the_cards_stopped_in_japanese(settings, hanako, django_capture_on_commit_callbacks):
    settings.PORTAL_BASE_URL = BASE
    _lost(hanako, django_capture_on_commit_callbacks)
    message = _only_message()
    assert message.to == ["hanako@example.jp"]
    assert message.subject == "【重要】ICOCAの利用を停止しました（紛失・故障の届け出）"
    assert "iPhoneの次のICOCAの利用を停止しました" in message.body or "の次のICOCAの利用を停止しました" in message.body
    assert "通勤用（JW••••1234）" in message.body and "ICOCA（JW••••5678）" in message.body
    assert f"確認する：{BASE}/" in message.body
    assert "お心当たりのない場合は" in message.body and "WESTER IDのパスワードを変更" in message.body
    assert "JW000000000001234" not in message.body  # never the full number
    assert SecurityNotice.objects.get().sent_at is not None


def test_a_lost_device_in_english(settings, emily, django_capture_on_commit_callbacks):
    settings.PORTAL_BASE_URL = BASE
    _lost(emily, django_capture_on_commit_callbacks)
    message = _only_message()
    assert message.subject == "Important: your ICOCA cards were stopped (lost or broken device)"
    assert "these ICOCA cards on your" in message.body and "通勤用 (JW••••1234)" in message.body
    assert "If this was not you" in message.body and f"Check it here: {BASE}/" in message.body
    assert "様" not in message.body


def test_a_registered_card_is_confirmed(client, hanako, django_capture_on_commit_callbacks):
    result = register_through_sandbox(client, hanako, "4100000000000100")
    with django_capture_on_commit_callbacks(execute=True):
        payment_registration_complete(member=hanako, signed_result=result)
    message = _only_message()
    assert message.subject == "【重要】決済用カードが登録されました"
    assert "決済用カード VISA ••••0100 を登録しました。" in message.body
    assert "デフォルト" in message.body and "/payment-methods/" in message.body
    assert "このカードを削除し、カード発行会社にご連絡ください" in message.body
    assert "4100000000000100" not in message.body


def test_a_refused_card_sends_nothing(client, hanako, django_capture_on_commit_callbacks):
    result = register_through_sandbox(client, hanako, "4000000000000002")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(PaymentRegistrationFailed):
        payment_registration_complete(member=hanako, signed_result=result)
    assert outbox.outbox == [] and not SecurityNotice.objects.exists()


def test_default_and_removal_in_english(emily, django_capture_on_commit_callbacks):
    first = PaymentMethodFactory(member=emily, brand="VISA", last4="1111", is_default=True)
    second = PaymentMethodFactory(member=emily, brand="JCB", last4="2222", is_default=False)
    with django_capture_on_commit_callbacks(execute=True):
        payment_method_set_default(member=emily, payment_method=second)
    message = _only_message()
    assert message.subject == "Important: your default payment card was changed"
    assert "Your default payment card (the one payments use) is now JCB ••••2222." in message.body
    outbox.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        payment_method_remove(member=emily, payment_method=second)
    message = _only_message()
    assert message.subject == "Important: a payment card was removed"
    assert "The payment card JCB ••••2222 was removed." in message.body
    assert "Your default card is now VISA ••••1111." in message.body
    assert first.pk


def test_all_sessions_ended_by_support(hanako, django_capture_on_commit_callbacks):
    from support.services import support_sessions_end

    staff = MemberFactory(wester_id=None, is_staff=True, username="staff-1")
    with django_capture_on_commit_callbacks(execute=True):
        support_sessions_end(staff=staff, member=hanako, reason="不正利用の疑い")
    message = _only_message()
    assert message.subject == "【重要】すべてのログインを終了しました"
    assert "ICOCAサポートセンターがお客さまのご依頼により行いました" in message.body
    assert "すべての端末で" in message.body
    assert "不正利用の疑い" not in message.body  # the staff's reason stays in the audit trail


def test_nothing_is_sent_before_commit_or_for_a_rollback(hanako, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        CardFactory(member=hanako, device="android")
        lost_device_report(member=hanako, device="android")
    assert outbox.outbox == [] and len(callbacks) == 1


def test_sent_once_however_often_the_task_runs(hanako, django_capture_on_commit_callbacks):
    _lost(hanako, django_capture_on_commit_callbacks)
    notice = SecurityNotice.objects.get()
    assert security_notice_send(notice_id=notice.pk) is False
    assert len(outbox.outbox) == 1


def test_no_address_no_notice(django_capture_on_commit_callbacks):
    member = MemberFactory(**HANAKO, email="")
    _lost(member, django_capture_on_commit_callbacks)
    assert outbox.outbox == [] and not SecurityNotice.objects.exists()


def test_an_unknown_notice_sends_nothing():
    assert security_notice_send(notice_id=987654) is False
