"""Payment-method services: registration through the sandbox provider, the
checks on its answer, default and removal."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone, translation

from accounts.models import AuditEvent
from accounts.tests.factories import MemberFactory
from billing.models import PaymentMethod, PaymentRegistration, RegistrationFailure, RegistrationStatus
from billing.payment_methods.exceptions import (
    LastPaymentMethodInUse,
    PaymentMethodExpired,
    PaymentMethodNotFound,
    PaymentRegistrationFailed,
    PaymentResultRejected,
    TooManyRegistrations,
)
from billing.payment_methods.providers.sandbox import protocol
from billing.payment_methods.services.methods import payment_method_remove, payment_method_set_default
from billing.payment_methods.services.registration import (
    MAX_REGISTRATION_STARTS_PER_DAY,
    MAX_REGISTRATIONS_PER_DAY,
    REGISTRATION_LIFETIME,
    payment_registration_complete,
    payment_registrations_expire,
)
from billing.tests.factories import PaymentMethodFactory
from billing.tests.sandbox_client import HANAKO, forged, register_through_sandbox, registration_start
from cards.tests.factories import CardFactory
from cards.window import JAPAN

pytestmark = pytest.mark.django_db


@pytest.fixture
def hanako():
    return MemberFactory(**HANAKO)


def complete(member, signed_result):
    return payment_registration_complete(member=member, signed_result=signed_result)


def failure_of(member, signed_result) -> PaymentRegistrationFailed:
    with pytest.raises(PaymentRegistrationFailed) as error:
        complete(member, signed_result)
    return error.value


# --- Success -------------------------------------------------------------------


def test_a_frictionless_card_is_registered_and_becomes_the_default(client, hanako):
    result = register_through_sandbox(client, hanako, "4100000000000100", expiry="08/31")

    method = complete(hanako, result)

    assert (method.brand, method.last4, method.exp_month, method.exp_year) == ("VISA", "0100", 8, 2031)
    assert (method.funding, method.holder_name, method.provider) == ("credit", "HANAKO YAMADA", "sandbox")
    assert method.token.startswith("tok_sandbox_")
    assert method.is_default and method.label == "VISA ••••0100"
    registration = PaymentRegistration.objects.get(member=hanako)
    assert registration.status == RegistrationStatus.SUCCEEDED
    assert registration.payment_method == method and registration.three_ds == "frictionless"
    actions = list(AuditEvent.objects.filter(member=hanako).order_by("id").values_list("action", flat=True))
    assert actions == ["payment_registration.started", "payment_registration.succeeded"]


@pytest.mark.parametrize(
    ("number", "brand", "funding"),
    [
        ("5100000000000107", "MASTERCARD", "credit"),
        ("3528000000000106", "JCB", "credit"),
        ("378282246310005", "AMEX", "credit"),
        ("4100000000000118", "VISA", "debit"),
        ("4100000000000126", "VISA", "prepaid"),
    ],
)
def test_each_frictionless_test_card(client, hanako, number, brand, funding):
    method = complete(hanako, register_through_sandbox(client, hanako, number))
    assert (method.brand, method.last4, method.funding) == (brand, number[-4:], funding)


@pytest.mark.parametrize("number", ["4100000000005000", "5100000000005007", "3528000000005006"])
def test_a_passed_challenge_registers_the_card(client, hanako, number):
    method = complete(hanako, register_through_sandbox(client, hanako, number, code="123456"))
    assert method.last4 == number[-4:]
    assert PaymentRegistration.objects.get(member=hanako).three_ds == "challenge_passed"


def test_a_second_card_is_not_the_default(client, hanako):
    first = complete(hanako, register_through_sandbox(client, hanako, "4100000000000100"))
    second = complete(hanako, register_through_sandbox(client, hanako, "5100000000000107"))
    first.refresh_from_db()
    assert first.is_default and not second.is_default


@pytest.mark.parametrize(
    "holder", ["HANAKO YAMADA", "YAMADA HANAKO", "hanako yamada", "Yamada  Hanako", "HANAKOYAMADA", "yamada hanako"]
)
def test_the_holder_name_matches_ignoring_case_spaces_and_order(client, hanako, holder):
    method = complete(hanako, register_through_sandbox(client, hanako, "4100000000000100", holder=holder))
    assert method.pk


# --- Refusals: what the member reads ---------------------------------------------


@pytest.mark.parametrize(
    ("number", "code", "failure", "status", "words"),
    [
        ("4242424242424242", None, "not_enrolled", "failed", "3-Dセキュアを設定してから"),
        ("4100000000500000", None, "authentication_failed", "failed", "本人認証）に失敗"),
        ("4000000000000002", None, "declined", "failed", "カード発行会社にお問い合わせいただくか、別のカード"),
        ("4100000000005000", ["000000", "111111", "222222"], "authentication_failed", "failed", "本人認証）に失敗"),
    ],
)
def test_each_refusal_registers_nothing_and_says_why(client, hanako, number, code, failure, status, words):
    failed = failure_of(hanako, register_through_sandbox(client, hanako, number, code=code))

    assert words in str(failed)
    registration = PaymentRegistration.objects.get(member=hanako)
    assert (registration.status, registration.failure_code) == (status, failure)
    assert registration.last4 == number[-4:]
    assert not PaymentMethod.objects.exists()
    assert AuditEvent.objects.filter(member=hanako, action=f"payment_registration.{status}", reason=failure).exists()


@pytest.mark.parametrize(("brand", "label"), [("DINERS", "Diners Club ••••1667"), ("UNIONPAY", "UnionPay ••••1667")])
def test_an_unsupported_brand_that_gets_through_is_refused_and_named(hanako, brand, label):
    """The provider refuses another brand before authentication; should one
    still come back, the portal refuses it too."""
    registration, _ = registration_start(hanako)
    failed = failure_of(hanako, forged(registration, brand=brand, last4="1667"))
    assert "JCB、VISA、Mastercard、American Express" in str(failed)
    registration.refresh_from_db()
    assert (registration.failure_code, registration.label) == ("unsupported_brand", label)


def test_the_provider_is_told_the_accepted_brands(hanako):
    from billing.payment_methods.providers.sandbox import store

    _, entry_url = registration_start(hanako)
    session = store.session_get(entry_url.rstrip("/").split("/")[-1])
    assert set(session.brands) == {"JCB", "VISA", "MASTERCARD", "AMEX"}


@pytest.mark.parametrize("holder", ["TARO YAMADA", "HANAKO", "HANAKO YAMADA JR"])
def test_a_card_in_another_name_is_refused(client, hanako, holder):
    failed = failure_of(hanako, register_through_sandbox(client, hanako, "4100000000000100", holder=holder))
    assert "ご本人名義のカードだけ" in str(failed)
    assert "HANAKO YAMADA" in str(failed)
    assert failed.registration.failure_code == RegistrationFailure.HOLDER_NAME_MISMATCH
    assert not PaymentMethod.objects.exists()


@pytest.mark.parametrize("number", ["4100000000000118", "4100000000000126"])
def test_a_failed_debit_or_prepaid_card_says_the_amount_may_be_held(client, hanako, number):
    failed = failure_of(hanako, register_through_sandbox(client, hanako, number, holder="TARO TANAKA"))
    assert "しばらくの間引き落とされた（保留された）" in str(failed)


def test_a_failed_credit_card_does_not_mention_a_hold(client, hanako):
    failed = failure_of(hanako, register_through_sandbox(client, hanako, "4000000000000002"))
    assert "保留" not in str(failed)


def test_a_member_without_a_romaji_name_is_told_to_add_it(client):
    """The name is asked before any registration starts; one that disappeared meanwhile
    still registers nothing."""
    member = MemberFactory(first_name="", last_name="", name="山田 花子", card_name="HANAKO YAMADA")
    result = register_through_sandbox(client, member, "4100000000000100")
    member.card_name = ""
    member.save()
    failed = failure_of(member, result)
    assert failed.registration.failure_code == RegistrationFailure.HOLDER_NAME_UNKNOWN
    assert "カードに書かれているお名前（ローマ字）を入力してから" in str(failed)


def test_a_latin_wester_id_name_is_enough_without_romaji_claims(client):
    member = MemberFactory(first_name="", last_name="", name="Emily Carter")
    method = complete(member, register_through_sandbox(client, member, "4100000000000100", holder="CARTER EMILY"))
    assert method.holder_name == "CARTER EMILY"


@pytest.mark.parametrize(
    ("fields", "failure"),
    [
        ({"three_ds": "not_performed"}, RegistrationFailure.AUTHENTICATION_FAILED),
        ({"three_ds": "challenge_failed"}, RegistrationFailure.AUTHENTICATION_FAILED),
        ({"funding": "charge"}, RegistrationFailure.UNSUPPORTED_CARD),
        ({"brand": "UNKNOWN"}, RegistrationFailure.UNSUPPORTED_BRAND),
        ({"exp_month": 1, "exp_year": 2020}, RegistrationFailure.CARD_EXPIRED),
        ({"token": ""}, RegistrationFailure.PROVIDER_ERROR),
        ({"last4": "12a4"}, RegistrationFailure.PROVIDER_ERROR),
        ({"exp_month": 13}, RegistrationFailure.PROVIDER_ERROR),
        ({"outcome": "failed", "failure": "declined", "token": ""}, RegistrationFailure.DECLINED),
        ({"outcome": "abandoned", "three_ds": "challenge_abandoned"}, RegistrationFailure.CHALLENGE_ABANDONED),
        ({"outcome": "abandoned", "three_ds": "not_performed"}, RegistrationFailure.CANCELLED),
    ],
)
def test_the_portal_checks_what_the_provider_says(hanako, fields, failure):
    registration, _ = registration_start(hanako)
    failed = failure_of(hanako, forged(registration, **fields))
    assert failed.registration.failure_code == failure
    assert not PaymentMethod.objects.exists()


def test_the_same_token_is_not_registered_twice(hanako):
    first, _ = registration_start(hanako)
    complete(hanako, forged(first, token="tok_same"))
    second, _ = registration_start(hanako)
    failed = failure_of(hanako, forged(second, token="tok_same"))
    assert failed.registration.failure_code == RegistrationFailure.ALREADY_REGISTERED
    assert PaymentMethod.objects.count() == 1


def test_the_same_card_is_not_registered_twice_by_one_member(client, hanako):
    """The sandbox gives each registration a new token, like a gateway; its card fingerprint
    tells the same card. Once removed, the card can be registered again; another member may
    register the same card."""
    first = complete(hanako, register_through_sandbox(client, hanako, "4100000000000100"))
    assert first.fingerprint.startswith("fp_") and "4100000000000100" not in first.fingerprint
    failed = failure_of(hanako, register_through_sandbox(client, hanako, "4100000000000100", expiry="09/31"))
    assert failed.registration.failure_code == RegistrationFailure.ALREADY_REGISTERED
    assert "このカードはすでに登録されています。" in str(failed)
    assert PaymentMethod.objects.filter(member=hanako).count() == 1
    assert complete(hanako, register_through_sandbox(client, hanako, "5100000000000107")).fingerprint != first.fingerprint

    payment_method_remove(member=hanako, payment_method=first)
    again = complete(hanako, register_through_sandbox(client, hanako, "4100000000000100"))
    assert again.fingerprint == first.fingerprint and again.pk != first.pk

    taro = MemberFactory(name="田中 太郎", first_name="Taro", last_name="Tanaka")
    assert complete(taro, register_through_sandbox(client, taro, "4100000000000100", holder="TARO TANAKA")).member == taro


# --- The answer itself: signature, nonce, expiry, replay, member -------------------


def _tamper(signed: str, **changes) -> str:
    body, _, mac = signed.partition(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload.update(changes)
    new_body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    return f"{new_body}.{mac}"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda s: _tamper(s, last4="4242"),
        lambda s: _tamper(s, holder_name="TARO TANAKA"),
        lambda s: _tamper(s, exp=9999999999),
        lambda s: s[:-2] + ("AA" if not s.endswith("AA") else "BB"),
        lambda s: s.partition(".")[0],
        lambda s: s + "x",
        lambda s: "",
        lambda s: "not-a-result",
        lambda s: "é" * 10,
    ],
)
def test_a_tampered_answer_is_refused_and_changes_nothing(client, hanako, tamper):
    result = register_through_sandbox(client, hanako, "4100000000000100")

    with pytest.raises(PaymentResultRejected) as error:
        complete(hanako, tamper(result))

    assert "確かめられなかった" in str(error.value)
    assert not PaymentMethod.objects.exists()
    assert PaymentRegistration.objects.get(member=hanako).status == RegistrationStatus.STARTED
    assert AuditEvent.objects.filter(member=hanako, action="payment_registration.rejected").exists()
    # The genuine answer still works.
    assert complete(hanako, result).last4 == "0100"


def test_an_answer_signed_with_another_key_is_refused(client, hanako, settings):
    registration, _ = registration_start(hanako)
    settings.SANDBOX_PAY_SECRET = "somebody else's key"
    forgery = forged(registration)
    settings.SANDBOX_PAY_SECRET = "the portal's key"
    with pytest.raises(PaymentResultRejected):
        complete(hanako, forgery)


def test_an_answer_signed_without_a_nonce_is_refused(hanako):
    with pytest.raises(PaymentResultRejected):
        complete(hanako, protocol.sign({"outcome": "succeeded", "three_ds": "frictionless"}))


def test_an_answer_for_an_unknown_nonce_is_refused(hanako):
    registration, _ = registration_start(hanako)
    registration.nonce = "made-up"
    with pytest.raises(PaymentResultRejected) as error:
        complete(hanako, forged(registration))
    assert error.value.code == "unknown"


def test_a_replayed_answer_is_refused(client, hanako):
    result = register_through_sandbox(client, hanako, "4100000000000100")
    complete(hanako, result)

    with pytest.raises(PaymentResultRejected) as error:
        complete(hanako, result)

    assert error.value.code == "replay"
    assert "すでに終了しています" in str(error.value)
    assert PaymentMethod.objects.count() == 1
    assert AuditEvent.objects.filter(member=hanako, action="payment_registration.rejected", reason="replay").exists()


def test_a_failed_answer_cannot_be_replayed_either(client, hanako):
    result = register_through_sandbox(client, hanako, "4000000000000002")
    failure_of(hanako, result)
    with pytest.raises(PaymentResultRejected):
        complete(hanako, result)


def test_another_members_answer_is_refused_and_their_registration_is_untouched(client, hanako):
    result = register_through_sandbox(client, hanako, "4100000000000100")
    intruder = MemberFactory(first_name="HANAKO", last_name="YAMADA")

    with pytest.raises(PaymentResultRejected) as error:
        complete(intruder, result)

    assert error.value.code == "wrong_member"
    assert not PaymentMethod.objects.exists()
    assert PaymentRegistration.objects.get(member=hanako).status == RegistrationStatus.STARTED
    assert complete(hanako, result).member == hanako


def test_an_expired_answer_ends_the_registration(client, hanako):
    result = register_through_sandbox(client, hanako, "4100000000000100")

    with time_machine.travel(timezone.now() + timedelta(seconds=protocol.LIFETIME_SECONDS + 1)):
        failed = failure_of(hanako, result)

    assert failed.registration.status == RegistrationStatus.ABANDONED
    assert failed.registration.failure_code == RegistrationFailure.EXPIRED
    assert "時間内に終わらなかった" in str(failed)
    assert not PaymentMethod.objects.exists()


def test_an_answer_after_the_registration_expired_is_refused(hanako):
    registration, _ = registration_start(hanako)
    later = timezone.now() + REGISTRATION_LIFETIME + timedelta(minutes=1)
    with time_machine.travel(later):
        failed = failure_of(hanako, forged(registration, now=int(later.timestamp())))
    assert failed.registration.failure_code == RegistrationFailure.EXPIRED


# --- Starting, expiring -------------------------------------------------------------


def test_starting_again_ends_the_older_open_registration(hanako):
    older, _ = registration_start(hanako)
    newer, _ = registration_start(hanako)
    older.refresh_from_db()
    assert (older.status, older.failure_code) == (RegistrationStatus.ABANDONED, RegistrationFailure.SUPERSEDED)
    with pytest.raises(PaymentResultRejected):
        complete(hanako, forged(older))
    assert complete(hanako, forged(newer)).pk


def _ended(member, *, status=RegistrationStatus.FAILED, failure=RegistrationFailure.DECLINED):
    registration, _ = registration_start(member)
    registration.status, registration.failure_code = status, failure
    registration.completed_at = timezone.now()
    registration.save()
    return registration


def test_registrations_are_limited_per_day_and_the_member_is_told_when_to_try_again(hanako):
    first = _ended(hanako)
    for _ in range(MAX_REGISTRATIONS_PER_DAY - 1):
        _ended(hanako)
    with pytest.raises(TooManyRegistrations) as refused:
        registration_start(hanako)
    retry_at = first.created_at + timedelta(days=1)
    assert refused.value.retry_at == retry_at
    shown = timezone.localtime(retry_at, JAPAN).replace(second=0, microsecond=0) + timedelta(minutes=1)
    assert f"{shown.month}月{shown.day}日 {shown:%H:%M}以降に" in str(refused.value)
    assert "24時間で10回" in str(refused.value)
    with translation.override("en"), pytest.raises(TooManyRegistrations) as in_english:
        registration_start(hanako)
    assert f"after {shown.day} {shown:%b %Y %H:%M}" in str(in_english.value)
    with time_machine.travel(retry_at + timedelta(minutes=1)):
        assert registration_start(hanako)[0].status == RegistrationStatus.STARTED


def test_abandoned_attempts_do_not_count_towards_the_daily_limit(hanako):
    for _ in range(MAX_REGISTRATIONS_PER_DAY - 1):
        _ended(hanako)
    for failure in (RegistrationFailure.CANCELLED, RegistrationFailure.CHALLENGE_ABANDONED, RegistrationFailure.EXPIRED):
        _ended(hanako, status=RegistrationStatus.ABANDONED, failure=failure)
    registration_start(hanako)  # left open (the browser's back button): superseded by the next
    registration_start(hanako)
    tenth, _ = registration_start(hanako)
    assert PaymentRegistration.objects.filter(member=hanako, status=RegistrationStatus.ABANDONED).count() == 5
    failure_of(hanako, forged(tenth, outcome="failed", failure="declined", token=""))  # the 10th that counts
    with pytest.raises(TooManyRegistrations):
        registration_start(hanako)


def test_every_attempt_counts_towards_the_wider_cap(hanako):
    for _ in range(MAX_REGISTRATION_STARTS_PER_DAY):
        _ended(hanako, status=RegistrationStatus.ABANDONED, failure=RegistrationFailure.CANCELLED)
    with pytest.raises(TooManyRegistrations, match="50回"):
        registration_start(hanako)


def test_another_members_attempts_do_not_count(hanako):
    other = MemberFactory(**HANAKO)
    for _ in range(MAX_REGISTRATIONS_PER_DAY):
        _ended(other)
    assert registration_start(hanako)[0].status == RegistrationStatus.STARTED


def test_registrations_nobody_came_back_from_are_abandoned(hanako):
    stale, _ = registration_start(hanako)
    with time_machine.travel(timezone.now() + REGISTRATION_LIFETIME + timedelta(minutes=1)):
        assert payment_registrations_expire() == 1
        assert payment_registrations_expire() == 0
    stale.refresh_from_db()
    assert (stale.status, stale.failure_code) == (RegistrationStatus.ABANDONED, RegistrationFailure.EXPIRED)
    assert AuditEvent.objects.filter(member=hanako, action="payment_registration.abandoned", actor=None).exists()


def test_an_open_registration_is_not_expired_early(hanako):
    registration_start(hanako)
    assert payment_registrations_expire() == 0


def test_no_audit_entry_holds_the_token(client, hanako):
    method = complete(hanako, register_through_sandbox(client, hanako, "4100000000000100"))
    for event in AuditEvent.objects.filter(member=hanako):
        assert method.token not in json.dumps(event.detail) + event.reason


# --- Default and removal ---------------------------------------------------------------


def test_set_default_moves_the_default():
    first = PaymentMethodFactory(is_default=True)
    second = PaymentMethodFactory(member=first.member, last4="0107", brand="MASTERCARD")

    payment_method_set_default(member=first.member, payment_method=second)

    first.refresh_from_db()
    second.refresh_from_db()
    assert second.is_default and not first.is_default
    assert AuditEvent.objects.filter(member=first.member, action="payment_method.default_set").exists()


def test_an_expired_card_cannot_become_the_default():
    first = PaymentMethodFactory(is_default=True)
    expired = PaymentMethodFactory(member=first.member, exp_month=1, exp_year=2020)
    with pytest.raises(PaymentMethodExpired):
        payment_method_set_default(member=first.member, payment_method=expired)
    first.refresh_from_db()
    assert first.is_default


def test_another_members_method_cannot_be_made_default_or_removed():
    mine = PaymentMethodFactory(is_default=True)
    theirs = PaymentMethodFactory(is_default=True)
    with pytest.raises(PaymentMethodNotFound):
        payment_method_set_default(member=mine.member, payment_method=theirs)
    with pytest.raises(PaymentMethodNotFound):
        payment_method_remove(member=mine.member, payment_method=theirs)
    theirs.refresh_from_db()
    assert theirs.is_default and theirs.removed_at is None


def test_removing_keeps_the_row_and_moves_the_default_to_the_newest():
    default = PaymentMethodFactory(is_default=True)
    older = PaymentMethodFactory(member=default.member, last4="0107")
    newer = PaymentMethodFactory(member=default.member, last4="0106")

    new_default = payment_method_remove(member=default.member, payment_method=default)

    default.refresh_from_db()
    assert default.removed_at is not None and not default.is_default
    assert new_default == newer
    assert list(PaymentMethod.objects.filter(is_default=True)) == [newer]
    assert older in PaymentMethod.objects.all()
    assert AuditEvent.objects.filter(member=default.member, action="payment_method.removed").exists()


def test_removing_the_last_method_is_refused_while_the_member_has_an_active_card():
    method = PaymentMethodFactory(is_default=True)
    CardFactory(member=method.member)

    with pytest.raises(LastPaymentMethodInUse) as error:
        payment_method_remove(member=method.member, payment_method=method)

    assert "別のカードを登録してから" in str(error.value)
    method.refresh_from_db()
    assert method.removed_at is None and method.is_default


@pytest.mark.parametrize("card_status", [None, "deposited", "refunded"])
def test_removing_the_last_method_is_allowed_without_an_active_card(card_status):
    method = PaymentMethodFactory(is_default=True)
    if card_status:
        CardFactory(member=method.member, status=card_status)
    assert payment_method_remove(member=method.member, payment_method=method) is None
    method.refresh_from_db()
    assert method.removed_at is not None


def test_a_removed_method_can_be_registered_again(hanako):
    first, _ = registration_start(hanako)
    method = complete(hanako, forged(first, token="tok_again"))
    payment_method_remove(member=hanako, payment_method=method)
    second, _ = registration_start(hanako)
    assert complete(hanako, forged(second, token="tok_again")).is_default
