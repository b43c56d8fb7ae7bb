"""A document in the language the member reads (issue 13 §2): the request forms carry the
language (the page's by default), the document page says which language it is in, the
e-mail and the PDF are in that language with English station names, and a reprint may be
asked for in the other language: same number, same figures, same first issue date, its
labels translated, stored as a second reprint row of the same original."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError, transaction

from accounts.tests.factories import MemberFactory
from billing.documents import services as document_services
from billing.models import Document, DocumentOrigin, DocumentStatus
from billing.tests.document_data import domain_example_refund, month_of_payments
from billing.tests.test_document_pdf import pdf_path, text_of

pytestmark = pytest.mark.django_db(transaction=True)
JAPAN = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=JAPAN)
LATER = datetime(2026, 12, 3, 9, 0, tzinfo=JAPAN)
LIST = "/documents/"
KANA_KANJI = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def frozen_time(eager_tasks, media_root):
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def hanako():
    member = MemberFactory(name="山田 花子", email="hanako@example.jp")  # language: Japanese in /settings/
    month_of_payments(member)
    return member


@pytest.fixture
def signed_in(client, hanako):
    client.force_login(hanako)
    return client


def english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def page_of(response) -> str:
    return response.content.decode()


def selected_languages(page: str) -> dict[str, str]:
    """Each language select of the page (by id) and the option it starts on."""
    found = {}
    for select_id, body in re.findall(r'<select name="language" id="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        (found[select_id],) = re.findall(r'<option value="(ja|en)" selected>', body)
    return found


def request(client, **data) -> Document:
    response = client.post("/documents/request/", {"mode": "month", "month": "2026-10", **data})
    assert response.status_code == 302, page_of(response)
    document = Document.objects.latest("id")
    document.refresh_from_db()
    return document


# -- the request forms ------------------------------------------------------------------------


def test_every_request_form_starts_on_the_pages_language(signed_in, settings):
    ids = {"id_month_language", "id_period_language", "id_payment_language", "id_usage_language"}
    assert selected_languages(page_of(signed_in.get(LIST))) == dict.fromkeys(ids, "ja")
    assert selected_languages(page_of(english(signed_in, settings).get(LIST))) == dict.fromkeys(ids, "en")


def test_an_english_page_asks_for_an_english_document_and_its_email(signed_in, settings):
    """The member's /settings/ say Japanese; the page is English: the document follows the page."""
    document = request(english(signed_in, settings), language="en")
    assert document.language == "en" and document.status == DocumentStatus.READY
    assert document.issuer_name == "West Japan Railway Company"
    (message,) = mail.outbox
    assert "Usage statement (receipt)" in message.subject and "R-202611-000001" in message.subject
    assert message.body.startswith("Dear 山田 花子,")
    assert message.attachments[0][0] == "ICOCA-receipt_R-202611-000001.pdf"


def test_a_form_without_the_field_asks_in_the_pages_language(signed_in, settings):
    """A page loaded before the field existed posts no language: the page's is used."""
    assert request(english(signed_in, settings)).language == "en"


def test_the_form_may_ask_for_the_other_language(signed_in):
    document = request(signed_in, language="en")  # a Japanese page, an English document
    assert document.language == "en"
    assert mail.outbox[0].subject.startswith("[")  # the English subject, "[site] title (number)"


@pytest.mark.parametrize("language", ["fr", "EN", "english", "ja-JP", " en"])
def test_an_unknown_language_is_refused_and_nothing_is_made(signed_in, language):
    for data in ({"mode": "month", "month": "2026-10"}, {"mode": "period", "start": "2026-10-01", "end": "2026-10-31"}):
        response = signed_in.post("/documents/request/", {**data, "language": language})
        assert response.status_code == 400, language
    assert not Document.objects.exists() and not mail.outbox


def test_the_services_refuse_an_unknown_language(hanako):
    with pytest.raises(document_services.DocumentRequestInvalid):
        document_services.receipt_request_month(member=hanako, year=2026, month=10, language="de")
    with pytest.raises(document_services.DocumentRequestInvalid):
        document_services.refund_statement_request(member=hanako, refund=domain_example_refund(hanako), language="")
    assert not Document.objects.exists()


def test_without_a_language_a_service_uses_the_members_settings(hanako):
    """The monthly statement has no page: it follows /settings/."""
    hanako.language = "en"
    hanako.save()
    document = document_services.receipt_request_month(member=hanako, year=2026, month=10).document
    assert document.language == "en"


def test_the_document_page_says_which_language_it_is_in(signed_in, settings):
    document = request(signed_in, language="en")
    page = page_of(signed_in.get(f"/documents/{document.public_id}/"))
    assert re.search(r"<dt>書類の言語</dt><dd>英語</dd>", page)
    page = page_of(english(signed_in, settings).get(f"/documents/{document.public_id}/"))
    assert re.search(r"<dt>Document language</dt><dd>English</dd>", page)
    assert "<dd>English</dd>" in page_of(signed_in.get(LIST))  # and the list says it for each document


def test_asking_again_in_the_other_language_points_to_the_reprint(signed_in):
    original = request(signed_in, language="ja")
    response = signed_in.post("/documents/request/", {"mode": "month", "month": "2026-10", "language": "en"}, follow=True)
    page = page_of(response)
    assert "すでに日本語で発行しています（R-202611-000001）" in page and "英語の書類は" in page
    assert Document.objects.get() == original  # no second original, no second number


# -- the PDF in English -----------------------------------------------------------------------


def test_an_english_receipt_has_english_labels_and_station_names(signed_in, tmp_path):
    text = text_of(pdf_path(request(signed_in, language="en"), tmp_path))
    assert "Usage statement (receipt)" in text and "Qualified invoice registration no. T1234567890123" in text
    assert "Osaka⇔Sannomiya" in text and "Kyoto⇔Osaka" in text
    assert "(commuter, 3 months)" in text and "(student, 1 month)" in text
    assert "大阪" not in text and "三ノ宮" not in text and "通勤" not in text
    # the only Japanese left is the member's own data (name, card nicknames) and the tax term in brackets
    left = set(KANA_KANJI.findall(text)) - set("山田花子仕事用買い物不課税")
    assert not left, left


def test_an_english_refund_statement_has_english_station_and_line_names(hanako, tmp_path):
    refund = domain_example_refund(hanako)
    document = document_services.refund_statement_request(member=hanako, refund=refund, language="en").document
    text = text_of(pdf_path(document, tmp_path))
    assert "Osaka⇔Sannomiya (via JR Kobe Line), commuter" in text
    assert "2026-04-01 to 2026-09-30 (6 months)" in text
    assert "Months used 5" in text
    assert "3-month pass fare ¥36,960 × 1 = ¥36,960" in text
    assert "Amount refunded ¥7,920" in text
    assert not set(KANA_KANJI.findall(text)) - set("仕事用山田花子"), text


# -- a reprint in the other language -----------------------------------------------------------


def amounts(text: str) -> list[int]:
    """Every amount a document prints, whatever the language (3,000円 / ¥3,000), sorted."""
    found = re.findall(r"¥([\d,]+)|([\d,]+)円", text.replace("1円未満", ""))
    return sorted(int((a or b).replace(",", "")) for a, b in found)


def test_a_japanese_receipt_reprinted_in_english(signed_in, hanako, tmp_path):
    original = request(signed_in, language="ja")
    with time_machine.travel(LATER, tick=False):
        signed_in.force_login(hanako)  # a week later: signed in again
        response = signed_in.post(f"/documents/{original.public_id}/reprint/", {"language": "en"})
    reprint = Document.objects.get(reissue_of=original, language="en")
    assert response["Location"] == f"/documents/{reprint.public_id}/"
    assert reprint.origin == DocumentOrigin.REPRINT and reprint.status == DocumentStatus.READY
    assert (reprint.number, reprint.content, reprint.total_amount, reprint.first_issued_at) == (
        original.number, original.content, original.total_amount, original.first_issued_at)
    assert reprint.issuer_name == "West Japan Railway Company"  # the operator's name as written in English
    assert Document.objects.filter(reissue_of__isnull=True).count() == 1  # still one original, one number

    ja_text, en_text = text_of(pdf_path(original, tmp_path)), text_of(pdf_path(reprint, tmp_path))
    assert "REISSUE" in en_text and "First issued 2026-11-25" in en_text and "Reissued 2026-12-03" in en_text
    assert "R-202611-000001" in en_text and "Usage statement (receipt)" in en_text
    assert amounts(en_text) == amounts(ja_text)  # the same figures, read from the stored content
    assert len(mail.outbox) == 1  # the original's e-mail only: a reprint is printed from the page

    download = signed_in.get(f"/documents/{reprint.public_id}/download/")
    assert 'filename="ICOCA-receipt_R-202611-000001_reissue.pdf"' in download["Content-Disposition"]
    assert "ICOCA-receipt_R-202611-000001_reissue.pdf" in download["Content-Disposition"].split("UTF-8''")[1]


def test_one_reprint_per_language_and_both_listed(signed_in):
    original = request(signed_in, language="en")
    first_en = signed_in.post(f"/documents/{original.public_id}/reprint/", {"language": "en"})
    again_en = signed_in.post(f"/documents/{original.public_id}/reprint/", {"language": "en"})
    ja = signed_in.post(f"/documents/{original.public_id}/reprint/", {"language": "ja"})
    assert first_en["Location"] == again_en["Location"] != ja["Location"]
    reprints = Document.objects.filter(reissue_of=original)
    assert sorted(reprints.values_list("language", flat=True)) == ["en", "ja"]
    assert {r.number for r in reprints} == {original.number}
    assert reprints.get(language="ja").issuer_name == "西日本旅客鉄道株式会社"
    original.refresh_from_db()
    assert original.reissue_count == 3
    page = page_of(signed_in.get(f"/documents/{original.public_id}/"))
    assert "再発行した書類" in page and page.count("/documents/") >= 2
    # reprinting from a reprint reprints the original, in the language asked for
    ja_reprint = reprints.get(language="ja")
    again = signed_in.post(f"/documents/{ja_reprint.public_id}/reprint/", {"language": "en"})
    assert again["Location"] == first_en["Location"]


def test_the_database_holds_one_reprint_per_language(signed_in, hanako):
    original = request(signed_in)
    reprint = document_services.document_reprint(member=hanako, document=original, language="en")
    duplicate = {field: getattr(reprint, field) for field in (
        "member", "kind", "origin", "number", "reissue_of", "period_start", "period_end", "language", "content",
        "total_amount", "issuer_name", "issuer_registration_number", "addressee_name")}
    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.create(**duplicate)


@pytest.mark.parametrize("language", ["fr", "", "en-GB"])
def test_a_reprint_in_an_unknown_language_is_refused(signed_in, language):
    original = request(signed_in)
    response = signed_in.post(f"/documents/{original.public_id}/reprint/", {"language": language}, follow=True)
    if language == "":  # the field left empty: the page's language, as a form without it
        assert Document.objects.filter(reissue_of=original, language="ja").exists()
    else:
        assert "書類の言語は、日本語か英語を選んでください。" in page_of(response)
        assert not Document.objects.filter(reissue_of=original).exists()


def test_another_members_document_cannot_be_reprinted_in_any_language(client, hanako):
    original = document_services.receipt_request_month(member=hanako, year=2026, month=10).document
    original.refresh_from_db()
    other = MemberFactory()
    client.force_login(other)
    for language in ("ja", "en"):
        assert client.post(f"/documents/{original.public_id}/reprint/", {"language": language}).status_code == 404
    assert not Document.objects.filter(reissue_of=original).exists()


def test_a_refund_statement_in_the_language_asked_on_the_refunds_page(signed_in, hanako, settings):
    refund = domain_example_refund(hanako)
    page = page_of(english(signed_in, settings).get("/refunds/"))
    assert selected_languages(page) == {f"id_statement_language_{refund.pk}": "en"}
    response = signed_in.post(f"/refunds/{refund.center_id}/statement/", {"language": "ja"})
    document = Document.objects.get()
    assert response["Location"] == f"/documents/{document.public_id}/"
    assert document.language == "ja" and "払いもどし計算書" in mail.outbox[0].subject
    bad = signed_in.post(f"/refunds/{refund.center_id}/statement/", {"language": "xx"}, follow=True)
    assert "Choose Japanese or English" in page_of(bad)
    assert Document.objects.count() == 1


def test_a_reprint_of_a_stored_v1_document_in_english_reads_its_stored_figures(hanako, tmp_path):
    """A content v1 receipt issued in Japanese (figures as stored, not recomputed) reprinted in English."""
    from billing.tests.test_document_content_versions import RECEIPT_V1

    original = Document.objects.create(
        member=hanako, kind="receipt", number="R-202610-000007", language="ja", content=RECEIPT_V1,
        total_amount=39960, issuer_name="西日本旅客鉄道株式会社", issuer_registration_number="T1234567890123",
        addressee_name="山田 花子", period_start=datetime(2026, 10, 1).date(), period_end=datetime(2026, 10, 31).date(),
    )
    document_services.document_render(document_id=original.pk)
    original.refresh_from_db()
    reprint = document_services.document_reprint(member=hanako, document=original, language="en")
    text = text_of(pdf_path(reprint, tmp_path))
    for figure in ("¥36,960", "¥3,000", "¥39,960", "¥3,360", "10% rate"):
        assert figure in text, figure
    assert "Osaka⇔Sannomiya" in text


def test_a_usage_history_in_the_language_asked(client):
    """The third kind's form carries the language too."""
    from billing.tests.usage_history_data import commuter_month

    taro = MemberFactory(email="taro@example.jp")
    commuter_month(taro)
    client.force_login(taro)
    data = {"start": "2026-10-01", "end": "2026-10-31", "scope": "all", "card": ""}
    assert client.post("/documents/usage-history/", {**data, "language": "xx"}).status_code == 400
    response = client.post("/documents/usage-history/", {**data, "language": "en"})
    assert response.status_code == 302, page_of(response)
    document = Document.objects.get(kind="usage_history")
    assert document.language == "en"
    assert "ICOCA-usage-history" in mail.outbox[0].attachments[0][0]


def test_the_history_pages_print_button_carries_the_pages_language(client, settings):
    from billing.tests.usage_history_data import commuter_month

    taro = MemberFactory(email="taro@example.jp")
    commuter_month(taro)
    client.force_login(taro)
    assert '<input type="hidden" name="language" value="ja">' in page_of(client.get("/history/?month=2026-10"))
    page = page_of(english(client, settings).get("/history/?month=2026-10"))
    assert '<input type="hidden" name="language" value="en">' in page
    data = dict(re.findall(r'<input type="hidden" name="(card|start|end|scope|language)" value="([^"]*)">', page))
    response = client.post("/documents/usage-history/", data)
    assert response.status_code == 302, page_of(response)
    assert Document.objects.get(kind="usage_history").language == "en"
