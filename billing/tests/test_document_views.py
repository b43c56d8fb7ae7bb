"""領収書・明細書 and 払いもどし pages: what the member sees, the download's
headers, and 404 for anyone else's document everywhere."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from kombu.exceptions import OperationalError

from accounts.tests.factories import MemberFactory
from billing import tasks
from billing.documents import services as document_services
from billing.models import Document, DocumentStatus
from billing.tests.document_data import domain_example_refund, month_of_payments

pytestmark = pytest.mark.django_db(transaction=True)
JAPAN = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=JAPAN)
LIST = "/documents/"


@pytest.fixture(autouse=True)
def frozen_time(eager_tasks, media_root):
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def hanako():
    return MemberFactory(name="山田 花子", email="hanako@example.jp")


@pytest.fixture
def signed_in(client, hanako):
    client.force_login(hanako)
    return client


def page_of(response) -> str:
    return response.content.decode()


def ask_for_october(client) -> Document:
    response = client.post("/documents/request/", {"mode": "month", "month": "2026-10"})
    assert response.status_code == 302, page_of(response)
    document = Document.objects.latest("id")
    assert response["Location"] == f"/documents/{document.public_id}/"
    return document


def test_the_pages_need_a_sign_in(client):
    for url in (LIST, "/refunds/", f"/documents/{uuid.uuid4()}/download/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/?next="), url


def test_request_a_month_then_download_it(signed_in, hanako):
    month_of_payments(hanako)
    page = page_of(signed_in.get(LIST))
    assert "利用明細書（領収書）を作成する" in page
    assert "2025年11月1日以降" in page  # the window, said up front
    assert '<option value="2025-11">2025年11月</option>' in page and "2025-10" not in page

    document = ask_for_october(signed_in)
    detail = signed_in.get(f"/documents/{document.public_id}/")
    text = page_of(detail)
    assert "ご依頼を受け付けました" in text
    assert "作成済み" in text and "R-202611-000001" in text
    assert "65,930円" in text
    assert detail["Cache-Control"] == "private, no-store" or "no-store" in detail["Cache-Control"]

    download = signed_in.get(f"/documents/{document.public_id}/download/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    japanese = quote("利用明細書_R-202611-000001.pdf", safe="")
    assert download["Content-Disposition"] == (
        f"attachment; filename=\"ICOCA-receipt_R-202611-000001.pdf\"; filename*=UTF-8''{japanese}"
    )
    assert download["Cache-Control"] == "private, no-store"
    body = b"".join(download.streaming_content)
    document.refresh_from_db()
    assert body == document.file.read()

    listed = page_of(signed_in.get(LIST))
    assert "R-202611-000001" in listed and "2026年10月1日〜2026年10月31日" in listed


def test_a_request_before_the_window_is_refused_with_the_earliest_date(signed_in):
    response = signed_in.post("/documents/request/", {"mode": "period", "start": "2025-10-31", "end": "2025-11-30"})
    assert response.status_code == 400
    assert "2025年11月1日より前の期間は指定できません" in page_of(response)
    assert not Document.objects.exists()


def test_a_month_before_the_window_gets_the_period_forms_message_not_djangos(signed_in):
    """A page left open across a month's end posts a month that has just left the window."""
    response = signed_in.post("/documents/request/", {"mode": "month", "month": "2025-10"})
    page = page_of(response)
    assert response.status_code == 400
    assert "2025年11月1日より前の期間は指定できません（指定できるのは2025年11月1日以降です）。" in page
    assert "候補にありません" not in page

    signed_in.cookies["django_language"] = "en"
    page = page_of(signed_in.post("/documents/request/", {"mode": "month", "month": "2025-10"}))
    assert "2025/11/1" in page and "より前" not in page
    assert not Document.objects.exists()

    for bad in ("2027-01", "2026-13", "2026-1", "x", ""):  # after today, not a month: the usual refusal
        response = signed_in.post("/documents/request/", {"mode": "month", "month": bad})
        assert response.status_code == 400, bad
    assert not Document.objects.exists()


def test_one_payment_from_the_list_of_card_payments(signed_in, hanako):
    data = month_of_payments(hanako)
    page = page_of(signed_in.get(LIST))
    bought = data.passes[0]
    assert f'value="pass:{bought.center_id}"' in page
    assert f'value="charge:{data.cash_charges[0].center_id}"' not in page  # cash is not a card payment
    response = signed_in.post("/documents/request/", {"mode": "payment", "payment": f"pass:{bought.center_id}"})
    assert response.status_code == 302
    document = Document.objects.get()
    assert document.total_amount == 36960


def hundred_card_charges(member) -> list:
    """100 charges paid by card, one every 3 days back from 2 days ago (ten months)."""
    from cards.models import PaymentMethodKind, UsageKind
    from cards.tests.factories import CardFactory, UsageRecordFactory

    card = CardFactory(member=member, nickname="仕事用")
    return [
        UsageRecordFactory(
            card=card, occurred_at=NOW - timedelta(days=2 + n * 3, hours=n % 5), kind=UsageKind.CHARGE,
            amount=1000 + (n % 7) * 500, balance=9000, from_station="", to_station="", place="モバイルICOCA",
            payment_method=PaymentMethodKind.CARD, payment_brand="VISA", payment_last4="4242",
        )
        for n in range(100)
    ]


def test_a_hundred_payments_are_grouped_by_month_each_with_its_date_and_amount(signed_in, hanako, settings):
    """Without JavaScript the one-payment list is usable with 100 payments: one <optgroup>
    a month, newest first, with its count; each option the date, time and amount; the
    filter (static/js/payment_filter.js) is there but hidden until the script shows it."""
    charges = hundred_card_charges(hanako)
    page = page_of(signed_in.get(LIST))
    select = re.search(r'<select name="payment"[^>]*>(.*?)</select>', page, re.S)[1]
    months = re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', select, re.S)
    expected = {}
    for charge in charges:
        at = charge.occurred_at.astimezone(JAPAN)
        expected.setdefault((at.year, at.month), []).append(charge)
    assert [label for label, _ in months] == [
        f"{year}年{month}月（{len(found)}件）" for (year, month), found in expected.items()
    ]
    assert len(re.findall(r"<option ", select)) == 100
    first = charges[0]
    at = first.occurred_at.astimezone(JAPAN)
    assert (f'<option value="charge:{first.center_id}" data-search="{at:%Y-%m-%d} {at:%Y/%m/%d} '
            f'{at.month}/{at.day} {first.amount} {at.year}年{at.month}月{at.day}日">'
            f"{at.year}/{at.month}/{at.day} {at:%H:%M} チャージ {first.amount:,}円（仕事用）</option>") in select
    assert re.search(r'<div class="field payment-filter" data-payment-filter="id_payment"[^>]*hidden>', page, re.S)

    # An old one from the list is printed.
    oldest = charges[-1]
    response = signed_in.post("/documents/request/", {"mode": "payment", "payment": f"charge:{oldest.center_id}"})
    assert response.status_code == 302
    assert Document.objects.get().total_amount == oldest.amount

    signed_in.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = page_of(signed_in.get(LIST))
    assert '<optgroup label="Nov 2026 (8)">' in page
    assert '<option value="2026-11">Nov 2026</option>' in page  # the month form too: "Nov 2026", not "2026/11"
    assert f"{at.day} Nov 2026 {at:%H:%M} Charge ¥{first.amount:,} (仕事用)</option>" in page


def test_a_payment_not_in_the_list_is_refused_with_the_lists_message(signed_in, hanako):
    hundred_card_charges(hanako)
    response = signed_in.post("/documents/request/", {"mode": "payment", "payment": "charge:no-such-payment"})
    assert response.status_code == 400
    assert '<ul class="errorlist" id="id_payment_error"><li>このお支払いは選べません。一覧からもう一度選んでください。</li></ul>' in (
        page_of(response))
    assert "no-such-payment" not in page_of(response)
    assert not Document.objects.exists()


def test_someone_elses_document_is_not_found_anywhere(signed_in, hanako):
    other = MemberFactory()
    month_of_payments(other)
    theirs = document_services.receipt_request_month(member=other, year=2026, month=10).document
    base = f"/documents/{theirs.public_id}"
    for url in (f"{base}/", f"{base}/status/", f"{base}/download/"):
        assert signed_in.get(url).status_code == 404, url
    for url in (f"{base}/reprint/", f"{base}/retry/", f"{base}/email/"):
        assert signed_in.post(url).status_code == 404, url
    assert signed_in.get(f"/documents/{uuid.uuid4()}/").status_code == 404
    refund = domain_example_refund(other)
    assert signed_in.post(f"/refunds/{refund.center_id}/statement/").status_code == 404
    assert refund.center_id not in page_of(signed_in.get("/refunds/"))
    assert "R-202611-000001" not in page_of(signed_in.get(LIST))
    theirs.refresh_from_db()
    assert theirs.reissue_count == 0


def test_a_document_not_ready_cannot_be_downloaded(signed_in, hanako):
    document = Document.objects.create(
        member=hanako, kind="receipt", number="R-202611-000009", language="ja", total_amount=0,
        issuer_name="x", issuer_registration_number="T1234567890123", content={"lines": [], "total": 0},
    )
    assert signed_in.get(f"/documents/{document.public_id}/download/").status_code == 404


def test_the_status_a_page_polls(signed_in, hanako):
    document = Document.objects.create(
        member=hanako, kind="receipt", number="R-202611-000009", language="ja", total_amount=0,
        issuer_name="x", issuer_registration_number="T1234567890123", content={"lines": [], "total": 0},
        period_start=NOW.date(), period_end=NOW.date(),
    )
    status = signed_in.get(f"/documents/{document.public_id}/status/")
    data = status.json()
    assert (data["status"], data["in_progress"]) == ("pending", True)
    assert "作成中" in data["html"] and "data-status-url" in data["html"]
    assert "no-store" in status["Cache-Control"]
    page = page_of(signed_in.get(f"/documents/{document.public_id}/"))
    assert "最新の状態を表示する" in page  # without JavaScript: a link, not a reload loop
    assert 'http-equiv="refresh"' not in page
    assert "js/documents.js" in page

    tasks.document_render.delay(document.pk)
    data = signed_in.get(f"/documents/{document.public_id}/status/").json()
    assert (data["status"], data["in_progress"]) == ("ready", False)
    assert "PDFをダウンロード" in data["html"] and "data-status-url" not in data["html"]


def test_a_failed_document_says_so_and_can_be_retried(signed_in, hanako, monkeypatch, settings):
    settings.DOCUMENT_RENDER_MAX_RETRIES = 0
    month_of_payments(hanako)
    storage = Document._meta.get_field("file").storage
    with monkeypatch.context() as patched:
        patched.setattr(storage, "save", lambda *a, **k: (_ for _ in ()).throw(OSError("disk gone")))
        document = ask_for_october(signed_in)
    page = page_of(signed_in.get(f"/documents/{document.public_id}/"))
    assert "書類を作成できませんでした" in page
    assert "disk gone" not in page  # the reason is for support, not the member
    assert "tel:0570000000" in page and "受付時間" in page  # where to turn: the number and hours
    assert "もう一度作成する" in page
    response = signed_in.post(f"/documents/{document.public_id}/retry/")
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.status == DocumentStatus.READY


def test_broker_down_the_member_is_told_it_will_be_made(signed_in, hanako, monkeypatch):
    def broker_down(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(tasks.document_render, "apply_async", broker_down)
    month_of_payments(hanako)
    response = signed_in.post("/documents/request/", {"mode": "month", "month": "2026-10"}, follow=True)
    page = page_of(response)
    assert "準備ができしだい作成し" in page
    assert "作成中" in page
    assert Document.objects.get().status == DocumentStatus.PENDING


def test_reprint_from_the_page(signed_in, hanako):
    month_of_payments(hanako)
    document = ask_for_october(signed_in)
    response = signed_in.post(f"/documents/{document.public_id}/reprint/")
    reprint = Document.objects.get(reissue_of=document)
    assert response["Location"] == f"/documents/{reprint.public_id}/"
    page = page_of(signed_in.get(response["Location"]))
    assert "再発行" in page and "初回発行日" in page and "R-202611-000001" in page
    download = signed_in.get(f"/documents/{reprint.public_id}/download/")
    assert quote("利用明細書_R-202611-000001_再発行.pdf", safe="") in download["Content-Disposition"]
    assert 'filename="ICOCA-receipt_R-202611-000001_reissue.pdf"' in download["Content-Disposition"]


def test_search_by_issue_date_amount_and_kind(signed_in, hanako):
    month_of_payments(hanako)
    with time_machine.travel(datetime(2026, 11, 2, 10, 0, tzinfo=JAPAN), tick=False):
        document_services.receipt_request_month(member=hanako, year=2026, month=9)  # ¥2,000 (Sep 30 23:59)
    october = document_services.receipt_request_month(member=hanako, year=2026, month=10).document  # ¥65,930
    statement = document_services.refund_statement_request(member=hanako, refund=domain_example_refund(hanako)).document

    def found(**query) -> set[str]:
        page = page_of(signed_in.get(LIST, query))
        return {number for number in ("R-202611-000001", october.number, statement.number) if number in page}

    assert found() == {"R-202611-000001", "R-202611-000002", "S-202611-000001"}
    assert found(kind="refund_statement") == {"S-202611-000001"}
    assert found(amount_min="5000", amount_max="10000") == {"S-202611-000001"}
    assert found(amount_max="2000") == {"R-202611-000001"}
    assert found(amount_min="60000") == {"R-202611-000002"}
    assert found(issued_from="2026-11-01", issued_to="2026-11-02") == {"R-202611-000001"}
    assert found(issued_from="2026-11-25") == {"R-202611-000002", "S-202611-000001"}
    bad = signed_in.get(LIST, {"amount_min": "100", "amount_max": "1"})
    assert "下限が上限以下" in page_of(bad)


def test_refunds_page_shows_the_figures_and_makes_the_statement(signed_in, hanako):
    refund = domain_example_refund(hanako)
    page = page_of(signed_in.get("/refunds/"))
    for figure in ("1,000円", "70,040円", "5か月", "62,900円", "7,140円", "−220円", "7,920円", "VISA ••••4242"):
        assert figure in page, figure
    assert "払いもどし計算書を作成" in page
    response = signed_in.post(f"/refunds/{refund.center_id}/statement/")
    document = Document.objects.get()
    assert response["Location"] == f"/documents/{document.public_id}/"
    assert document.kind == "refund_statement" and document.status == DocumentStatus.READY
    page = page_of(signed_in.get("/refunds/"))
    assert "S-202611-000001" in page and "PDFをダウンロード" in page


def test_a_staff_account_without_documents_sees_an_empty_list():
    staff = MemberFactory(wester_id=None)
    client = Client()
    client.force_login(staff)
    assert "まだ書類はありません" in page_of(client.get(LIST))


def test_in_english_dates_and_amounts_read_as_english(signed_in, hanako, settings):
    """Dates in the language's own format, amounts as ¥, ASCII brackets and dashes (the
    station names and nicknames are the member's data and stay as they are)."""
    month_of_payments(hanako)
    domain_example_refund(hanako)
    document = ask_for_october(signed_in)
    signed_in.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for url in (LIST, f"/documents/{document.public_id}/", "/refunds/"):
        page = page_of(signed_in.get(url))
        for japanese in ("年", "円", "〜", "（", "）", "："):
            assert japanese not in page, (url, japanese)
    assert "1 Oct 2026 – 31 Oct 2026" in page_of(signed_in.get(LIST))  # one English date format (issue 14)
    assert "¥65,930" in page_of(signed_in.get(f"/documents/{document.public_id}/"))
