"""決済用カード pages: what the member sees, 404 for anyone else's, CSRF."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from accounts.tests.factories import MemberFactory
from billing.models import PaymentMethod, PaymentRegistration, RegistrationStatus
from billing.tests.factories import PaymentMethodFactory
from billing.tests.sandbox_client import HANAKO, enter_card, forged, registration_start
from cards.tests.factories import CardFactory

pytestmark = pytest.mark.django_db
TOKYO = ZoneInfo("Asia/Tokyo")
LIST = "/payment-methods/"


@pytest.fixture
def hanako():
    return MemberFactory(**HANAKO)


@pytest.fixture
def signed_in(client, hanako):
    client.force_login(hanako)
    return client


def page_of(response) -> str:
    return response.content.decode()


# --- The list --------------------------------------------------------------------------


def test_the_list_needs_a_sign_in(client):
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith("/?next=")


@time_machine.travel(datetime(2026, 11, 26, 10, 0, tzinfo=TOKYO))
def test_the_list_shows_each_card_masked_with_expiry_funding_and_flags(signed_in, hanako):
    PaymentMethodFactory(member=hanako, brand="VISA", last4="4242", exp_month=8, exp_year=2029, is_default=True)
    PaymentMethodFactory(member=hanako, brand="JCB", last4="0106", exp_month=12, exp_year=2026, funding="debit")
    PaymentMethodFactory(member=hanako, brand="AMEX", last4="0005", exp_month=10, exp_year=2026, funding="prepaid")

    page = page_of(signed_in.get(LIST))

    assert "VISA ••••4242" in page and "08/2029" in page
    assert "JCB ••••0106" in page and "デビット" in page and "まもなく期限切れ" in page
    assert "2026年12月31日まで使えます" in page
    assert "American Express ••••0005" in page and "プリペイド" in page and "有効期限切れ" in page
    assert page.count("badge--default") == 1
    assert "クレジット" in page


def test_the_list_never_shows_a_token_or_removed_or_other_members_cards(signed_in, hanako):
    mine = PaymentMethodFactory(member=hanako, token="tok_sandbox_secret_one", is_default=True)
    PaymentMethodFactory(member=hanako, last4="9999", removed_at="2026-01-01T00:00:00Z")
    PaymentMethodFactory(last4="7777", is_default=True)

    page = page_of(signed_in.get(LIST))

    assert mine.label in page
    assert mine.token not in page
    assert "9999" not in page and "7777" not in page


def test_an_empty_list_invites_a_registration(signed_in):
    page = page_of(signed_in.get(LIST))
    assert "登録されている決済用カードはありません" in page
    assert 'action="/payment-methods/register/"' in page
    assert "JCB、VISA、Mastercard、American Express" in page


def test_the_list_and_a_refusal_in_english(signed_in, hanako):
    signed_in.cookies["django_language"] = "en"
    PaymentMethodFactory(member=hanako, is_default=True)
    page = page_of(signed_in.get(LIST))
    assert "Payment cards" in page and "VISA ••••0100" in page and "Make default" not in page
    assert "Register a card" in page

    entry = signed_in.post("/payment-methods/register/")["Location"]
    assert "Card details" in page_of(signed_in.get(entry))
    back = enter_card(signed_in, entry, "4000000000000002")
    refusal = page_of(signed_in.get(back["Location"], follow=True))
    assert "The card could not be registered" in refusal
    assert "Your card issuer declined this card" in refusal


# --- Registering -------------------------------------------------------------------------


def test_register_sends_the_member_to_the_provider(signed_in, hanako):
    response = signed_in.post("/payment-methods/register/")
    assert response.status_code == 302
    assert response["Location"].startswith("/sandbox-pay/pay/")
    assert PaymentRegistration.objects.get(member=hanako).status == RegistrationStatus.STARTED


def test_register_is_a_post(signed_in):
    assert signed_in.get("/payment-methods/register/").status_code == 405


def test_a_registration_through_the_pages(signed_in, hanako):
    entry = signed_in.post("/payment-methods/register/")["Location"]
    back = enter_card(signed_in, entry, "4100000000000100")
    assert urlparse(back["Location"]).path == "/payment-methods/return/"

    response = signed_in.get(back["Location"], follow=True)

    assert response.redirect_chain[-1][0] == LIST
    page = page_of(response)
    assert "VISA ••••0100 を登録し、デフォルトのカードにしました。" in page
    assert PaymentMethod.objects.get(member=hanako).is_default


def test_a_refused_registration_shows_why_on_its_own_page(signed_in, hanako):
    entry = signed_in.post("/payment-methods/register/")["Location"]
    back = enter_card(signed_in, entry, "4242424242424242")

    response = signed_in.get(back["Location"], follow=True)

    registration = PaymentRegistration.objects.get(member=hanako)
    assert response.redirect_chain[-1][0] == f"/payment-methods/registrations/{registration.public_id}/"
    page = page_of(response)
    assert "カードを登録できませんでした" in page
    assert "VISA ••••4242" in page
    assert "3-Dセキュアを設定してから" in page
    assert not PaymentMethod.objects.exists()


def test_a_failed_debit_card_warns_about_a_held_amount(signed_in, hanako):
    entry = signed_in.post("/payment-methods/register/")["Location"]
    back = enter_card(signed_in, entry, "4100000000000118", holder="TARO TANAKA")
    page = page_of(signed_in.get(back["Location"], follow=True))
    assert "ご本人名義のカードだけ" in page
    assert "しばらくの間引き落とされた（保留された）" in page


def test_a_tampered_return_shows_an_error_on_the_list(signed_in, hanako):
    registration, _ = registration_start(hanako)
    response = signed_in.get("/payment-methods/return/", {"result": forged(registration) + "x"}, follow=True)
    assert response.redirect_chain[-1][0] == LIST
    assert "確かめられなかった" in page_of(response)
    assert not PaymentMethod.objects.exists()


def test_a_replayed_return_shows_that_it_is_over(signed_in, hanako):
    registration, _ = registration_start(hanako)
    result = forged(registration)
    signed_in.get("/payment-methods/return/", {"result": result})
    response = signed_in.get("/payment-methods/return/", {"result": result}, follow=True)
    assert "すでに終了しています" in page_of(response)
    assert PaymentMethod.objects.count() == 1


def test_a_return_without_a_result_goes_to_the_list(signed_in):
    response = signed_in.get("/payment-methods/return/")
    assert response.status_code == 302 and response["Location"] == LIST


def test_the_return_is_not_cached(signed_in, hanako):
    registration, _ = registration_start(hanako)
    response = signed_in.get("/payment-methods/return/", {"result": forged(registration)})
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]


def test_a_finished_registration_page_goes_to_the_list(signed_in, hanako):
    registration, _ = registration_start(hanako)
    signed_in.get("/payment-methods/return/", {"result": forged(registration)})
    response = signed_in.get(f"/payment-methods/registrations/{registration.public_id}/")
    assert response.status_code == 302 and response["Location"] == LIST


# --- Default and removal -------------------------------------------------------------------


def test_set_default(signed_in, hanako):
    PaymentMethodFactory(member=hanako, is_default=True)
    other = PaymentMethodFactory(member=hanako, brand="MASTERCARD", last4="0107")

    response = signed_in.post(f"/payment-methods/{other.public_id}/default/", follow=True)

    assert "デフォルトのカードを Mastercard ••••0107 にしました。" in page_of(response)
    other.refresh_from_db()
    assert other.is_default


def test_remove_asks_first_then_removes(signed_in, hanako):
    method = PaymentMethodFactory(member=hanako, is_default=True)
    confirm = page_of(signed_in.get(f"/payment-methods/{method.public_id}/remove/"))
    assert "このカードを削除しますか？" in confirm and "VISA ••••0100" in confirm
    assert "これまでの領収書・利用明細書には、そのまま表示されます" in confirm
    method.refresh_from_db()
    assert method.removed_at is None

    response = signed_in.post(f"/payment-methods/{method.public_id}/remove/", follow=True)

    assert "VISA ••••0100 を削除しました。" in page_of(response)
    method.refresh_from_db()
    assert method.removed_at is not None


def test_removing_the_default_names_the_new_default(signed_in, hanako):
    default = PaymentMethodFactory(member=hanako, is_default=True)
    PaymentMethodFactory(member=hanako, brand="JCB", last4="0106")
    page = page_of(signed_in.post(f"/payment-methods/{default.public_id}/remove/", follow=True))
    assert "デフォルトのカードは JCB ••••0106 になりました。" in page


def test_removing_the_last_card_with_an_active_icoca_is_refused_with_a_reason(signed_in, hanako):
    method = PaymentMethodFactory(member=hanako, is_default=True)
    CardFactory(member=hanako)

    page = page_of(signed_in.post(f"/payment-methods/{method.public_id}/remove/", follow=True))

    assert "先に別のカードを登録してから" in page
    method.refresh_from_db()
    assert method.removed_at is None


# --- Someone else's: 404 everywhere ----------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/payment-methods/{id}/default/"),
        ("get", "/payment-methods/{id}/remove/"),
        ("post", "/payment-methods/{id}/remove/"),
    ],
)
def test_another_members_payment_method_is_a_404(signed_in, method, path):
    theirs = PaymentMethodFactory(is_default=True)
    response = getattr(signed_in, method)(path.format(id=theirs.public_id))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_default and theirs.removed_at is None


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/payment-methods/{id}/default/"),
        ("get", "/payment-methods/{id}/remove/"),
        ("post", "/payment-methods/{id}/remove/"),
    ],
)
def test_a_removed_payment_method_is_a_404(signed_in, hanako, method, path):
    removed = PaymentMethodFactory(member=hanako, removed_at="2026-01-01T00:00:00Z")
    assert getattr(signed_in, method)(path.format(id=removed.public_id)).status_code == 404


def test_another_members_registration_is_a_404(signed_in):
    theirs, _ = registration_start(MemberFactory(**HANAKO))
    assert signed_in.get(f"/payment-methods/registrations/{theirs.public_id}/").status_code == 404


def test_the_pages_are_for_signed_in_members_only(client):
    method = PaymentMethodFactory()
    for path in (
        f"/payment-methods/{method.public_id}/remove/",
        "/payment-methods/return/?result=x",
        f"/payment-methods/registrations/{method.public_id}/",
    ):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/?next="), path
    for path in ("/payment-methods/register/", f"/payment-methods/{method.public_id}/default/"):
        assert client.post(path).status_code == 302


# --- CSRF ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/payment-methods/register/", "/payment-methods/{id}/default/", "/payment-methods/{id}/remove/"]
)
def test_every_change_needs_the_csrf_token(hanako, path):
    method = PaymentMethodFactory(member=hanako)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(hanako)

    response = browser.post(path.format(id=method.public_id))

    assert response.status_code == 403
    method.refresh_from_db()
    assert method.removed_at is None and not method.is_default
    assert not PaymentRegistration.objects.exists()


def test_every_form_carries_the_csrf_token(signed_in, hanako):
    method = PaymentMethodFactory(member=hanako)
    for path in (LIST, f"/payment-methods/{method.public_id}/remove/"):
        page = page_of(signed_in.get(path))
        assert page.count("<form") == page.count("csrfmiddlewaretoken") >= 1, path


def test_the_sandbox_forms_need_the_csrf_token_too(hanako):
    _, entry = registration_start(hanako)
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(entry, {"number": "4100000000000100"}).status_code == 403
    page = page_of(browser.get(entry))
    assert page.count("<form") == page.count("csrfmiddlewaretoken") == 2

