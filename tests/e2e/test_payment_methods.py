"""決済用カード in Chromium: Hanako (HANAKO YAMADA at WESTER ID) registers
cards through the sandbox provider's own pages and 3-D Secure, meets each
refusal, and no card number ends up anywhere but the sandbox's own store."""

from __future__ import annotations

import logging
import os
import pickle
import re
import sqlite3
import zlib
from contextlib import closing, suppress
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Member
from billing.models import PaymentMethod, PaymentRegistration
from billing.payment_methods.providers.sandbox import store
from cards.window import JAPAN
from tests.e2e.test_sign_in import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_payment_methods(page, live_server) -> None:
    sign_in(page, live_server, "demo-hanako")
    expect(page.get_by_role("button", name="ログアウト", include_hidden=True)).to_be_attached()  # signed in (in the folded menu)
    page.goto(live_server.url + "/payment-methods/")
    expect(page.get_by_role("heading", name="決済用カード", exact=True)).to_be_visible()


def enter_card(page, number: str, *, expiry: str = "12/30", cvc: str = "", holder: str = "HANAKO YAMADA") -> None:
    """From the portal's list: 「カードを登録する」, then the sandbox's page."""
    page.get_by_role("button", name="カードを登録する", exact=True).click()
    expect(page.get_by_role("heading", name="カード情報の入力")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/sandbox-pay/pay/"))
    expect(page.get_by_role("banner")).to_contain_text("Sandbox Pay")  # another site, not the portal
    page.get_by_label("カード番号", exact=True).fill(number)
    page.get_by_label("有効期限（月/年）").fill(expiry)
    page.get_by_label("セキュリティコード").fill(cvc or ("1234" if number.startswith("37") else "123"))
    page.get_by_label("カード名義（ローマ字）").fill(holder)
    page.get_by_role("button", name="次へ（本人認証）").click()


def answer_challenge(page, code: str) -> None:
    expect(page.get_by_role("heading", name="ワンタイムパスワードの入力")).to_be_visible()
    page.get_by_role("textbox", name="ワンタイムパスワード").fill(code)
    page.get_by_role("button", name="認証する").click()


def expect_refusal(page, *reasons: str) -> None:
    expect(page.get_by_role("heading", name="カードを登録できませんでした")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/payment-methods/registrations/[0-9a-f-]{36}/$"))
    for reason in reasons:
        expect(page.get_by_role("main")).to_contain_text(reason)
    expect(page.get_by_text("登録済みのカードに変更はありません。")).to_be_visible()
    assert page.get_by_role("main").inner_text().count("カードは登録されていません") <= 1  # said once, not repeated


def test_register_a_frictionless_card(page, live_server, wester_id):
    open_payment_methods(page, live_server)
    expect(page.get_by_text("登録されている決済用カードはありません。")).to_be_visible()

    enter_card(page, "4100 0000 0000 0100", expiry="08/29")

    expect(page).to_have_url(live_server.url + "/payment-methods/")
    expect(page.get_by_role("status")).to_contain_text("VISA ••••0100 を登録し、デフォルトのカードにしました。")
    card = page.locator(".pm").filter(has_text="VISA ••••0100")
    expect(card).to_contain_text("デフォルト")
    expect(card).to_contain_text("08/2029")
    expect(card).to_contain_text("クレジット")
    expect(card).to_contain_text("HANAKO YAMADA")
    method = PaymentMethod.objects.get()
    assert (method.member.wester_id, method.brand, method.last4, method.is_default) == ("demo-hanako", "VISA", "0100", True)


def test_pass_a_challenge(page, live_server, wester_id):
    open_payment_methods(page, live_server)
    enter_card(page, "5100000000005007")

    expect(page.get_by_text("Sandbox Bank")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("Mastercard ••••5007")
    answer_challenge(page, "123456")

    expect(page.get_by_role("status")).to_contain_text("Mastercard ••••5007 を登録し")
    expect(page.locator(".pm").filter(has_text="Mastercard ••••5007")).to_be_visible()
    assert PaymentRegistration.objects.get().three_ds == "challenge_passed"


def test_fail_a_challenge(page, live_server, wester_id, axe_check):
    open_payment_methods(page, live_server)
    enter_card(page, "3528000000005006")
    answer_challenge(page, "111111")
    # A mistake is not the end: the challenge page again, with the tries left.
    expect(page.get_by_role("alert")).to_have_text("ワンタイムパスワードが正しくありません。あと2回入力できます。")
    expect(page.get_by_role("textbox", name="ワンタイムパスワード")).to_have_attribute("aria-invalid", "true")
    axe_check(page)
    answer_challenge(page, "222222")
    expect(page.get_by_role("alert")).to_contain_text("あと1回入力できます。")
    answer_challenge(page, "333333")

    expect_refusal(page, "JCB ••••5006", "3-Dセキュア（本人認証）に失敗したため、カードは登録されていません。")
    axe_check(page)
    assert not PaymentMethod.objects.exists()
    assert PaymentRegistration.objects.get().status == "failed"


def test_a_mistyped_code_can_be_typed_again(page, live_server, wester_id):
    open_payment_methods(page, live_server)
    enter_card(page, "5100000000005007")
    answer_challenge(page, "123465")
    expect(page.get_by_role("alert")).to_contain_text("あと2回")
    answer_challenge(page, "123456")

    expect(page.get_by_role("status")).to_contain_text("Mastercard ••••5007 を登録し")
    registration = PaymentRegistration.objects.get()
    assert (registration.status, registration.three_ds) == ("succeeded", "challenge_passed")


@pytest.mark.parametrize(("number", "brand"), [("3622 7206 2716 67", "Diners Club"), ("6200000000000005", "UnionPay")])
def test_a_brand_the_portal_does_not_take_is_refused_as_it_is_typed(page, live_server, wester_id, axe_check, number, brand):
    open_payment_methods(page, live_server)
    page.get_by_role("button", name="カードを登録する", exact=True).click()
    expect(page.get_by_role("heading", name="カード情報の入力")).to_be_visible()
    expect(page.get_by_text("このお店で使えるカード: JCB、VISA、Mastercard、American Express")).to_be_visible()
    number_box = page.get_by_label("カード番号", exact=True)
    number_box.press_sequentially(number)

    # Before expiry, security code, name or 3-D Secure: said under the number.
    refused = page.locator("#card-number-brand")
    expect(refused).to_have_text(  # the brand is asked of the server: allow a busy one its time
        f"{brand}のカードはこのお店では使えません。使えるのはJCB、VISA、Mastercard、American Expressのカードです。",
        timeout=15_000,
    )
    expect(number_box).to_have_attribute("aria-invalid", "true")
    expect(number_box).to_have_attribute("aria-describedby", re.compile(r"card-number-brand"))
    axe_check(page)

    # Sent anyway: the sandbox refuses it again on its own page, and nothing reaches the portal.
    page.get_by_label("有効期限（月/年）").fill("12/30")
    page.get_by_label("セキュリティコード").fill("123")
    page.get_by_label("カード名義（ローマ字）").fill("HANAKO YAMADA")
    page.get_by_role("button", name="次へ（本人認証）").click()
    expect(page.get_by_role("heading", name="カード情報の入力")).to_be_visible()
    expect(page.locator(".sp-field--error")).to_contain_text(f"{brand}のカードはこのお店では使えません。")
    axe_check(page)
    assert PaymentRegistration.objects.get().status == "started"

    # Another card, on the same page.
    number_box.fill("")
    number_box.press_sequentially("4100000000000100")
    expect(refused).to_be_hidden()
    page.get_by_label("セキュリティコード").fill("123")
    page.get_by_role("button", name="次へ（本人認証）").click()
    expect(page.get_by_role("status")).to_contain_text("VISA ••••0100 を登録し")


def test_abandoned_attempts_do_not_count_and_the_limit_says_when(page, live_server, wester_id, axe_check):
    open_payment_methods(page, live_server)
    hanako = Member.objects.get(wester_id="demo-hanako")
    now = timezone.now()
    for minutes in range(9):  # nine refused today, the first at now - 3 h
        PaymentRegistration.objects.create(
            member=hanako, provider="sandbox", nonce=f"old-{minutes}", status="failed", failure_code="declined",
            expires_at=now, completed_at=now,
        )
    PaymentRegistration.objects.filter(member=hanako).update(created_at=now - timedelta(hours=3))
    first = PaymentRegistration.objects.filter(member=hanako).earliest("created_at")

    # Cancelled on the card page and left with the back button: neither counts.
    page.get_by_role("button", name="カードを登録する", exact=True).click()
    page.get_by_role("button", name="登録をやめて戻る").click()
    expect_refusal(page, "カードの入力を中止したため")
    enter_card_from_refusal = page.get_by_role("button", name="もう一度カードを登録する")
    enter_card_from_refusal.click()
    page.get_by_label("カード番号", exact=True).fill("4100000000005000")
    page.get_by_label("有効期限（月/年）").fill("12/30")
    page.get_by_label("セキュリティコード").fill("123")
    page.get_by_label("カード名義（ローマ字）").fill("HANAKO YAMADA")
    page.get_by_role("button", name="次へ（本人認証）").click()
    expect(page.get_by_role("heading", name="ワンタイムパスワードの入力")).to_be_visible()
    page.go_back()
    expect_refusal(page, "最後まで行われなかった")
    page.goto(live_server.url + "/payment-methods/")
    enter_card(page, "4100000000000100")  # the tenth that counts
    expect(page.get_by_role("status")).to_contain_text("VISA ••••0100 を登録し")

    page.get_by_role("button", name="カードを登録する", exact=True).click()
    retry = timezone.localtime(first.created_at + timedelta(days=1), JAPAN)
    retry = retry.replace(second=0, microsecond=0) + timedelta(minutes=1)
    expect(page.get_by_role("alert").or_(page.get_by_role("status"))).to_contain_text(
        f"カード登録のお試しが24時間で10回に達しました。{retry.month}月{retry.day}日 {retry:%H:%M}以降に、もう一度お試しください。"
    )
    expect(page).to_have_url(live_server.url + "/payment-methods/")
    axe_check(page)
    assert PaymentRegistration.objects.filter(member=hanako, status="abandoned").count() == 2


def test_abandon_a_challenge_with_the_back_button(page, live_server, wester_id):
    open_payment_methods(page, live_server)
    enter_card(page, "4100000000005000")
    expect(page.get_by_role("heading", name="ワンタイムパスワードの入力")).to_be_visible()

    page.go_back()

    expect_refusal(page, "3-Dセキュア（本人認証）が最後まで行われなかったため")
    assert not PaymentMethod.objects.exists()
    registration = PaymentRegistration.objects.get()
    assert (registration.status, registration.failure_code) == ("abandoned", "challenge_abandoned")

    # Trying again from the refusal page works.
    page.get_by_role("button", name="もう一度カードを登録する").click()
    expect(page.get_by_role("heading", name="カード情報の入力")).to_be_visible()


def test_abandon_a_challenge_with_its_cancel_button(page, live_server, wester_id):
    open_payment_methods(page, live_server)
    enter_card(page, "4100000000005000")
    page.get_by_role("button", name="認証をやめて戻る").click()

    expect_refusal(page, "最後まで行われなかった")
    assert PaymentRegistration.objects.get().status == "abandoned"


@pytest.mark.parametrize(
    ("number", "holder", "reasons"),
    [
        pytest.param(
            "4242424242424242", "HANAKO YAMADA",
            ["3-Dセキュア（本人認証サービス）が設定されていない", "カード発行会社のウェブサイトやアプリで3-Dセキュアを設定してから"],
            id="not-enrolled",
        ),
        pytest.param(
            "4100000000500000", "HANAKO YAMADA", ["3-Dセキュア（本人認証）に失敗した"], id="authentication-failed"
        ),
        pytest.param(
            "4000000000000002", "HANAKO YAMADA",
            ["カード発行会社がこのカードの利用を承認しなかった", "別のカードを登録してください"],
            id="declined",
        ),
        pytest.param(
            "4100000000000100", "TARO TANAKA",
            ["WESTER IDに登録されたお名前（HANAKO YAMADA）と一致しない", "ご本人名義のカードだけ"],
            id="holder-name",
        ),
        pytest.param(
            "4100000000000118", "TARO TANAKA",
            ["ご本人名義のカードだけ", "デビットカード・プリペイドカードでは、確認のための金額がしばらくの間"],
            id="debit-held",
        ),
        pytest.param(
            "4100000000000126", "HANAKO SATO",
            ["ご本人名義のカードだけ", "確認のための金額がしばらくの間引き落とされた（保留された）"],
            id="prepaid-held",
        ),
    ],
)
def test_each_refusal_says_why(page, live_server, wester_id, number, holder, reasons):
    open_payment_methods(page, live_server)
    enter_card(page, number, holder=holder)

    expect_refusal(page, *reasons)
    assert not PaymentMethod.objects.exists()
    page.get_by_role("link", name="決済用カードの一覧へ戻る").click()
    expect(page.get_by_text("登録されている決済用カードはありません。")).to_be_visible()


def test_holder_name_in_the_other_order_and_case_is_the_members(page, live_server, wester_id):
    open_payment_methods(page, live_server)
    enter_card(page, "378282246310005", holder="yamada hanako")
    expect(page.get_by_role("status")).to_contain_text("American Express ••••0005 を登録し")


def test_make_default_and_remove(page, live_server, wester_id):
    open_payment_methods(page, live_server)
    enter_card(page, "4100000000000100")
    enter_card(page, "3528000000000106")
    jcb = page.locator(".pm").filter(has_text="JCB ••••0106")

    jcb.get_by_role("button", name="デフォルトにする").click()
    expect(page.get_by_role("status")).to_contain_text("デフォルトのカードを JCB ••••0106 にしました。")
    expect(page.locator(".pm").first).to_contain_text("JCB ••••0106")

    page.locator(".pm").filter(has_text="VISA ••••0100").get_by_role("link", name="削除").click()
    expect(page.get_by_role("heading", name="このカードを削除しますか？")).to_be_visible()
    page.get_by_role("button", name="削除する").click()

    expect(page.get_by_role("status")).to_contain_text("VISA ••••0100 を削除しました。")
    expect(page.locator(".pm")).to_have_count(1)
    assert PaymentMethod.objects.filter(removed_at__isnull=False, last4="0100").exists()  # kept for receipts


# --- No card number anywhere -----------------------------------------------------------------

NUMBERS = ("4100000000000100", "5100000000005007", "4000000000000002")


def _database_text() -> str:
    """Every row of every table of the portal's database, plus the decoded
    sessions (their data is signed and base64-encoded in the table)."""
    lines = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (names from the introspection)
            lines += [repr(row) for row in cursor.fetchall()]
    lines += [repr(session.get_decoded()) for session in Session.objects.all()]
    return "\n".join(lines)


def _file_text(path: Path) -> str:
    """A file's bytes, and for the file cache its pickled, zlib-compressed value."""
    data = path.read_bytes()
    texts = [data.decode("latin-1")]
    with suppress(Exception), path.open("rb") as handle:  # not a cache file: the bytes are enough
        pickle.load(handle)  # noqa: S301 (our own cache file: the expiry)
        texts.append(repr(pickle.loads(zlib.decompress(handle.read()))))  # noqa: S301
    return "\n".join(texts)


def _files_outside_the_sandbox_store(*roots: Path) -> list[Path]:
    sandbox = str(store.store_path())
    found = []
    for root in roots:
        for folder, _, names in os.walk(root):
            for name in names:
                path = Path(folder) / name
                if not str(path).startswith(sandbox):  # the store and its -wal/-shm files
                    found.append(path)
    return found


class BrowserTraffic:
    """Every URL the browser asked for, what it posted to the portal, and every page and
    answer the portal served it (the sandbox provider's own pages, /sandbox-pay/, are
    another site: the member types the number there)."""

    def __init__(self, page) -> None:
        self.urls: list[str] = []
        self.posted_to_portal: list[str] = []
        self.served: dict[str, str] = {}
        page.on("request", self._request)
        page.on("response", self._response)

    @staticmethod
    def _portal(url: str) -> bool:
        return "/sandbox-pay/" not in url

    def _request(self, request) -> None:
        self.urls.append(request.url)
        if self._portal(request.url) and request.post_data:
            self.posted_to_portal.append(request.post_data)

    def _response(self, response) -> None:
        if self._portal(response.url) and response.request.resource_type in ("document", "xhr", "fetch"):
            with suppress(Exception):  # a redirect has no body
                self.served[response.url] = response.text()


def test_no_card_number_reaches_the_portals_database_logs_or_files(page, live_server, wester_id, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    traffic = BrowserTraffic(page)
    open_payment_methods(page, live_server)
    enter_card(page, NUMBERS[0], cvc="987")
    expect(page.get_by_role("status")).to_contain_text("VISA ••••0100")
    enter_card(page, NUMBERS[1], cvc="987")
    answer_challenge(page, "123456")
    expect(page.get_by_role("status")).to_contain_text("Mastercard ••••5007")
    enter_card(page, NUMBERS[2], cvc="987")
    expect_refusal(page, "承認しなかった")
    assert PaymentMethod.objects.count() == 2

    database = _database_text()
    logs = "\n".join(
        [record.getMessage() + repr(record.__dict__) for record in caplog.records] + list(capfd.readouterr())
    )
    files = {path: _file_text(path) for path in _files_outside_the_sandbox_store(settings.MEDIA_ROOT, settings.VAR_DIR)}

    assert "VISA" in database and "0100" in database and "5007" in database  # the search does see the data
    assert "payment registration ended" in logs and "sandbox-pay" in logs
    assert any("/sandbox-pay/pay/" in url for url in traffic.urls) and traffic.posted_to_portal  # it did listen
    assert any("Mastercard ••••5007" in text for text in traffic.served.values())
    for number in NUMBERS:
        spaced = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
        for variant in (number, spaced):
            assert variant not in database, f"{variant} in the database"
            assert variant not in logs, f"{variant} in the logs"
            assert not [url for url in traffic.urls if variant in url or variant.replace(" ", "+") in url]
            assert not [data for data in traffic.posted_to_portal if variant in data or variant.replace(" ", "+") in data]
            assert not [url for url, text in traffic.served.items() if variant in text], f"{variant} served"
            for path, text in files.items():
                assert variant not in text, f"{variant} in {path}"
    for token in PaymentMethod.objects.values_list("token", flat=True):
        assert token not in logs
    # The sandbox's own store is where the registered numbers are, as a provider keeps them.
    assert _in_sandbox_vault(NUMBERS[0]) and _in_sandbox_vault(NUMBERS[1])
    assert not _in_sandbox_vault(NUMBERS[2])  # declined: the sandbox dropped it


def _in_sandbox_vault(number: str) -> bool:
    with closing(sqlite3.connect(store.store_path())) as db:
        return db.execute("SELECT 1 FROM vault WHERE number = ?", (number,)).fetchone() is not None
