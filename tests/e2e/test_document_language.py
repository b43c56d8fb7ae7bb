"""A document in the member's language, in Chromium: on English pages Hanako (Japanese in
/settings/) asks for last month's receipt, which comes in English; the document page says
so; she reprints it in Japanese (same number) and the Japanese reprint downloads; the
refunds page offers the language too. Every page passes axe at 360 px and 1280 px;
screenshots go to test-artifacts/."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.tests.factories import MemberFactory
from billing.models import Document
from billing.tests.document_data import domain_example_refund, month_of_payments
from cards.window import japan_today, last_month
from conftest import ARTIFACTS
from tests.e2e.test_documents import eager_tasks  # noqa: F401 (the fixture)
from tests.e2e.test_sign_in import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def check_both_widths(page, axe_check, name: str) -> None:
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        axe_check(page, where=f"{name} at {width} px")
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 360, "height": 800})


def test_an_english_receipt_reprinted_in_japanese(page, live_server, wester_id, eager_tasks, axe_check):  # noqa: F811
    hanako = MemberFactory(wester_id="demo-hanako", username="demo-hanako", name="山田 花子",
                           email="hanako.yamada@example.jp", language="ja")
    year, month = last_month(japan_today())
    month_of_payments(hanako, year=year, month=month)
    domain_example_refund(hanako, refund_month=(year, month))
    ARTIFACTS.mkdir(exist_ok=True)

    sign_in(page, live_server, "demo-hanako")
    page.get_by_label("Language / 言語").select_option("en")
    page.get_by_role("button", name="切り替え").click()
    page.goto(live_server.url + "/documents/")
    expect(page.get_by_label("Document language").first).to_have_value("en")
    check_both_widths(page, axe_check, "documents-language-list-en")
    page.get_by_role("button", name="Create for this month").click()

    document = Document.objects.get(member=hanako)
    assert document.language == "en"
    expect(page.locator("main")).to_contain_text("Document language")
    expect(page.locator("main")).to_contain_text("English")
    assert "Usage statement (receipt)" in mail.outbox[0].subject
    check_both_widths(page, axe_check, "documents-language-detail-en")

    page.get_by_label("Document language").select_option("ja")
    page.get_by_role("button", name="Reissue").click()
    reprint = Document.objects.get(reissue_of=document)
    assert (reprint.language, reprint.number, reprint.content) == ("ja", document.number, document.content)
    expect(page.locator("main")).to_contain_text("Japanese")
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("Download PDF")).click()
    assert download_info.value.suggested_filename == f"利用明細書_{document.number}_再発行.pdf"
    check_both_widths(page, axe_check, "documents-language-reprint-ja")

    page.goto(live_server.url + "/refunds/")
    expect(page.get_by_label("Document language")).to_have_value("en")
    check_both_widths(page, axe_check, "documents-language-refunds-en")
