"""The sandbox provider: brand and Luhn, its pages, its store, its signature."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from urllib.parse import urlparse

import pytest
from django.utils import translation

from accounts.tests.factories import MemberFactory
from billing.payment_methods.providers.base import Outcome, ResultInvalid, ThreeDSOutcome
from billing.payment_methods.providers.sandbox import SandboxProvider, protocol, store
from billing.payment_methods.providers.sandbox.cards import TEST_CARDS, detect_brand, digits_only, luhn_valid
from billing.tests.sandbox_client import HANAKO, RETURN_URL, enter_card, registration_start, result_of

# --- Brand and Luhn (no database) ----------------------------------------------------


@pytest.mark.parametrize(
    ("number", "brand"),
    [
        ("4100000000000100", "VISA"),
        ("4242424242424242", "VISA"),
        ("4000000000000002", "VISA"),
        ("5100000000000107", "MASTERCARD"),
        ("5555555555554444", "MASTERCARD"),
        ("2221000000000009", "MASTERCARD"),
        ("2720990000000007", "MASTERCARD"),
        ("3528000000000106", "JCB"),
        ("3589000000000003", "JCB"),
        ("378282246310005", "AMEX"),
        ("340000000000009", "AMEX"),
        ("36227206271667", "DINERS"),
        ("30569309025904", "DINERS"),
        ("6200000000000005", "UNIONPAY"),
        ("6011111111111117", "DISCOVER"),
    ],
)
def test_the_brand_comes_from_the_issuer_range(number, brand):
    assert luhn_valid(number)
    assert detect_brand(number) == brand


@pytest.mark.parametrize(
    "number",
    [
        "3527000000000000",  # just below JCB's range
        "3590000000000000",  # just above it
        "2220000000000000",  # below Mastercard's 2-series
        "2721000000000000",  # above it
        "56000000000000000",
        "41000000000001",  # a VISA prefix with a length VISA does not issue
        "9999999999999995",
    ],
)
def test_numbers_outside_every_issuer_range_have_no_brand(number):
    assert detect_brand(number) is None


def test_every_test_card_passes_luhn_and_has_a_brand():
    for number in TEST_CARDS:
        assert luhn_valid(number), number
        assert detect_brand(number), number


@pytest.mark.parametrize("number", ["4100000000000101", "4242424242424241", "378282246310006", "", "4100", "abcd"])
def test_luhn_catches_a_mistyped_number(number):
    assert not luhn_valid(number)


def test_digits_only_drops_spaces_and_hyphens_and_nothing_else():
    assert digits_only("4100 0000-0000 0100") == "4100000000000100"
    assert digits_only("4100 0000 0000 01OO") == ""
    assert digits_only("４１００") == ""


# --- The signed answer ---------------------------------------------------------------


def test_the_signed_answer_reads_back(settings):
    signed = protocol.sign({"nonce": "n1", "outcome": "succeeded"}, now=1_800_000_000)
    payload = protocol.read(signed)
    assert payload["nonce"] == "n1"
    assert payload["exp"] == 1_800_000_000 + protocol.LIFETIME_SECONDS


@pytest.mark.parametrize("value", ["", ".", "abc", "abc.", ".abc", "a" * 5000, "x.y.z", None, 42])
def test_malformed_answers_are_refused(value):
    with pytest.raises(ResultInvalid):
        protocol.read(value)


def test_an_answer_under_another_key_is_refused(settings):
    signed = protocol.sign({"nonce": "n1"})
    settings.SANDBOX_PAY_SECRET = "another key"
    with pytest.raises(ResultInvalid) as error:
        protocol.read(signed)
    assert error.value.code == "bad_signature"


def test_the_result_keeps_the_token_out_of_its_repr():
    signed = protocol.sign(
        {"nonce": "n", "outcome": "succeeded", "three_ds": "frictionless", "token": "tok_secret_value"}
    )
    result = SandboxProvider().registration_verify(signed)
    assert result.token == "tok_secret_value"
    assert "tok_secret_value" not in repr(result)
    assert (result.outcome, result.three_ds) == (Outcome.SUCCEEDED, ThreeDSOutcome.FRICTIONLESS)


# --- Its pages ---------------------------------------------------------------------------

pages = pytest.mark.django_db


@pytest.fixture
def entry_url():
    # The merchant's name is sent in the language of the member's request.
    with translation.override("ja"):
        _, url = registration_start(MemberFactory(**HANAKO))
    return url


@pages
def test_the_entry_page_is_another_site(client, entry_url):
    response = client.get(entry_url)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Sandbox Pay" in page and "テスト環境" in page
    assert "ICOCA会員メニュー へのカード登録" in page
    assert "portal.css" not in page  # its own look
    assert 'autocomplete="cc-number"' in page and 'autocomplete="cc-csc"' in page
    assert "no-store" in response["Cache-Control"]
    assert "4100 0000 0000 0100" in page  # the test cards are listed


@pages
@pytest.mark.parametrize(
    ("card", "error"),
    [
        ({"number": "4100000000000101"}, "カード番号に誤りがあります"),
        ({"number": "4100-0000-0000-01OO"}, "カード番号は数字で入力してください"),
        ({"number": "9999999999999995"}, "カード会社がわかりません"),
        ({"number": "4111111111111111"}, "テストカードだけが使えます"),
        ({"number": "4100000000000100", "expiry": "01/20"}, "有効期限が過ぎています"),
        ({"number": "4100000000000100", "expiry": "13/30"}, "01から12"),
        ({"number": "4100000000000100", "expiry": "2030-12"}, "「月/年」の形"),
        ({"number": "4100000000000100", "cvc": "12"}, "3桁または4桁"),
        ({"number": "378282246310005", "cvc": "123"}, "4桁です"),
        ({"number": "4100000000000100", "cvc": "1234"}, "3桁です"),
        ({"number": "4100000000000100", "holder": "山田 花子"}, "ローマ字で入力してください"),
    ],
)
def test_the_entry_page_says_what_to_correct_and_never_echoes_the_number(client, entry_url, card, error):
    number = card.pop("number")
    response = enter_card(client, entry_url, number, **card)
    assert response.status_code == 303 and response["Location"] == entry_url  # post/redirect/get
    with closing(sqlite3.connect(store.store_path())) as db:
        assert number not in repr(db.execute("SELECT * FROM sessions").fetchall())
    page = client.get(entry_url).content.decode()
    assert error in page and "入力内容をお確かめください" in page
    assert number not in page and number.replace("-", "") not in page
    for name in ("number", "cvc"):
        field = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
        assert field and "value=" not in field[0]


@pages
def test_the_errors_show_once_and_keep_the_harmless_values(client, entry_url):
    enter_card(client, entry_url, "4100000000000101", expiry="11/31", holder="hanako yamada")
    page = client.get(entry_url).content.decode()
    assert "カード番号に誤りがあります" in page
    assert 'value="11/31"' in page and 'value="hanako yamada"' in page
    assert "カード番号に誤りがあります" not in client.get(entry_url).content.decode()


@pages
def test_a_frictionless_card_goes_straight_back_to_the_portal(client, entry_url):
    response = enter_card(client, entry_url, "4100 0000 0000 0100")
    assert response["Location"].startswith(RETURN_URL + "?result=")
    result = SandboxProvider().registration_verify(result_of(response))
    assert (result.outcome, result.three_ds, result.brand, result.last4) == ("succeeded", "frictionless", "VISA", "0100")
    assert result.token.startswith("tok_sandbox_")


@pages
def test_the_challenge_page_asks_for_a_code(client, entry_url):
    response = enter_card(client, entry_url, "5100000000005007")
    assert response.status_code == 303
    challenge = client.get(response["Location"])
    page = challenge.content.decode()
    assert "ワンタイムパスワード" in page and "Mastercard ••••5007" in page
    assert 'autocomplete="one-time-code"' in page

    passed = SandboxProvider().registration_verify(result_of(client.post(response["Location"], {"code": "123456"})))
    assert (passed.outcome, passed.three_ds) == ("succeeded", "challenge_passed")


@pages
def test_three_wrong_codes_fail_the_challenge_and_empty_the_vault(client, entry_url):
    before = _vault_size()
    challenge_url = enter_card(client, entry_url, "4100000000005000")["Location"]
    for left in (2, 1):
        again = client.post(challenge_url, {"code": "654321"})
        assert again.status_code == 303 and again["Location"] == challenge_url  # the page again, not the portal
        page = client.get(challenge_url).content.decode()
        assert f"ワンタイムパスワードが正しくありません。あと{left}回入力できます。" in page
        assert 'aria-invalid="true" aria-describedby="challenge-code-error"' in page
        assert 'id="challenge-code-error"' in page
    failed = SandboxProvider().registration_verify(result_of(client.post(challenge_url, {"code": "654321"})))
    assert (failed.outcome, failed.three_ds, failed.failure_code) == ("failed", "challenge_failed", "authentication_failed")
    assert failed.token == "" and failed.last4 == "5000"
    assert _vault_size() == before


@pages
@pytest.mark.parametrize("wrong", ["", "12345", "１２３４５６", "123456 OR 1=1", "<script>"])
def test_a_wrong_or_empty_code_then_the_right_one_passes(client, entry_url, wrong):
    challenge_url = enter_card(client, entry_url, "5100000000005007")["Location"]
    assert client.post(challenge_url, {"code": wrong})["Location"] == challenge_url
    page = client.get(challenge_url).content.decode()
    assert "あと2回入力できます。" in page and "<script>" not in page.split("<main")[1]
    passed = SandboxProvider().registration_verify(result_of(client.post(challenge_url, {"code": "123456"})))
    assert (passed.outcome, passed.three_ds) == ("succeeded", "challenge_passed")


@pages
def test_the_error_shows_once_and_a_reload_counts_nothing(client, entry_url):
    challenge_url = enter_card(client, entry_url, "5100000000005007")["Location"]
    client.post(challenge_url, {"code": "000000"})
    assert "あと2回" in client.get(challenge_url).content.decode()
    assert "正しくありません" not in client.get(challenge_url).content.decode()
    client.post(challenge_url, {"code": "000000"})
    assert "あと1回" in client.get(challenge_url).content.decode()


@pages
@pytest.mark.parametrize(("number", "brand"), [("36227206271667", "Diners Club"), ("6200000000000005", "UnionPay")])
def test_a_brand_the_merchant_does_not_take_is_refused_before_authentication(client, entry_url, number, brand):
    session_id = entry_url.rstrip("/").split("/")[-1]
    answer = client.get(f"/sandbox-pay/pay/{session_id}/brand/", {"bin": number[:6]}).json()
    assert answer["brand"] == brand and answer["accepted"] is False
    assert answer["message"] == (
        f"{brand}のカードはこのお店では使えません。使えるのはJCB、VISA、Mastercard、American Expressのカードです。"
    )
    before = _vault_size()
    response = enter_card(client, entry_url, number)
    assert response.status_code == 303 and response["Location"] == entry_url  # the entry page again, no result
    page = client.get(entry_url).content.decode()
    assert f"{brand}のカードはこのお店では使えません。" in page
    assert _vault_size() == before
    assert store.session_get(session_id).status == "entry"


@pages
@pytest.mark.parametrize(
    ("bin_", "expected"),
    [
        ("410000", {"brand": "VISA", "accepted": True, "message": ""}),
        ("352800", {"brand": "JCB", "accepted": True, "message": ""}),
        ("37828", {"brand": None, "accepted": None, "message": ""}),  # too short to tell
        ("", {"brand": None, "accepted": None, "message": ""}),
        ("999999", {"brand": None, "accepted": None, "message": ""}),
        ("41a000", {"brand": None, "accepted": None, "message": ""}),
        ("４１００００", {"brand": None, "accepted": None, "message": ""}),
    ],
)
def test_the_brand_lookup_answers_from_the_bin(client, entry_url, bin_, expected):
    session_id = entry_url.rstrip("/").split("/")[-1]
    assert client.get(f"/sandbox-pay/pay/{session_id}/brand/", {"bin": bin_}).json() == expected


@pages
def test_the_brand_lookup_needs_an_open_entry(client, entry_url):
    assert client.get("/sandbox-pay/pay/nope/brand/", {"bin": "362272"}).status_code == 404
    session_id = entry_url.rstrip("/").split("/")[-1]
    enter_card(client, entry_url, "4100000000000100")  # finished
    assert client.get(f"/sandbox-pay/pay/{session_id}/brand/", {"bin": "362272"}).status_code == 410


@pages
def test_the_brand_refusal_is_in_english_too(client):
    with translation.override("en"):
        _, url = registration_start(MemberFactory(**HANAKO))
        session_id = url.rstrip("/").split("/")[-1]
        client.cookies["django_language"] = "en"
        answer = client.get(f"/sandbox-pay/pay/{session_id}/brand/", {"bin": "362272"}, HTTP_ACCEPT_LANGUAGE="en").json()
    assert answer["message"] == (
        "This shop does not take Diners Club cards. Cards it takes: JCB, VISA, Mastercard, American Express."
    ), answer


@pages
def test_going_back_from_the_challenge_abandons_it(client, entry_url):
    enter_card(client, entry_url, "3528000000005006")

    back = client.get(entry_url)  # the browser's back button

    abandoned = SandboxProvider().registration_verify(result_of(back))
    assert (abandoned.outcome, abandoned.three_ds) == ("abandoned", "challenge_abandoned")
    assert abandoned.token == ""


@pages
@pytest.mark.parametrize("in_challenge", [False, True])
def test_cancel_sends_the_member_back_with_an_abandoned_result(client, entry_url, in_challenge):
    session_id = urlparse(entry_url).path.rstrip("/").split("/")[-1]
    if in_challenge:
        enter_card(client, entry_url, "4100000000005000")
    response = client.post(f"/sandbox-pay/pay/{session_id}/cancel/")
    result = SandboxProvider().registration_verify(result_of(response))
    assert result.outcome == "abandoned"
    assert result.three_ds == ("challenge_abandoned" if in_challenge else "not_performed")


@pages
def test_a_finished_session_cannot_be_used_again(client, entry_url):
    result_of(enter_card(client, entry_url, "4100000000000100"))
    again = enter_card(client, entry_url, "4100000000000100")
    assert again.status_code == 410
    page = again.content.decode()
    assert "手続きは終了しています" in page
    assert f'href="{RETURN_URL}"' in page


@pages
def test_an_unknown_session_is_a_404(client):
    response = client.get("/sandbox-pay/pay/not-a-session/")
    assert response.status_code == 404
    assert "手続きが見つかりません" in response.content.decode()


@pages
def test_the_challenge_page_needs_an_open_challenge(client, entry_url):
    session_id = urlparse(entry_url).path.rstrip("/").split("/")[-1]
    assert client.get(f"/sandbox-pay/pay/{session_id}/challenge/").status_code == 410


@pages
def test_only_registered_cards_stay_in_the_vault_and_never_a_security_code(client, entry_url):
    before = _vault_size()
    registered = SandboxProvider().registration_verify(result_of(enter_card(client, entry_url, "4100000000000100")))
    _, other = registration_start(MemberFactory(**HANAKO))
    enter_card(client, other, "4000000000000002")
    assert _vault_size() == before + 1
    assert store.card_get(registered.token).number == "4100000000000100"
    assert "4000000000000002" not in _vault_numbers()
    with closing(sqlite3.connect(store.store_path())) as db:
        columns = {row[1] for row in db.execute("PRAGMA table_info(vault)")}
    assert not {"cvc", "cvv", "security_code"} & columns


def _vault_size() -> int:
    with closing(sqlite3.connect(store.store_path())) as db:
        return db.execute("SELECT count(*) FROM vault").fetchone()[0]


def _vault_numbers() -> set[str]:
    with closing(sqlite3.connect(store.store_path())) as db:
        return {row[0] for row in db.execute("SELECT number FROM vault")}
