"""領収書・明細書 in Chromium: Hanako signs in with WESTER ID, asks for last
month's receipt, watches it change from 作成中 to ready without the page
reloading, downloads the PDF and finds the same PDF in her e-mail; then the
払いもどし page and its statement."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.db import connections
from playwright.sync_api import expect

from accounts.tests.factories import MemberFactory
from billing import tasks
from billing.models import Document
from billing.tests.document_data import domain_example_refund, month_of_payments
from cards.window import japan_today, last_month
from tests.e2e.menu import main_menu
from tests.e2e.test_sign_in import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def eager_tasks(settings, tmp_path):
    """Tasks run in the server's process; PDFs go to the test's own directory."""
    from portal.celery import app

    settings.MEDIA_ROOT = str(tmp_path / "media")
    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, False
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


@pytest.fixture
def slow_worker(monkeypatch, eager_tasks):
    """The render task starts a moment after the request, as a worker would
    pick it up: the member sees 作成中 first."""
    timers = []

    def work(args):
        try:
            tasks.document_render.apply(args)
        finally:
            connections.close_all()  # this thread's own connections: the test database must drop cleanly

    def later(args=(), kwargs=None, **options):
        timer = threading.Timer(2.0, work, args=(args,))
        timers.append(timer)
        timer.start()

    monkeypatch.setattr(tasks.document_render, "apply_async", later)
    yield
    for timer in timers:
        timer.join(timeout=30)


def test_member_asks_for_a_receipt_waits_downloads_it_and_finds_the_email(page, live_server, wester_id, slow_worker):
    hanako = MemberFactory(wester_id="demo-hanako", username="demo-hanako", name="山田 花子",
                           email="hanako.yamada@example.jp")
    year, month = last_month(japan_today())
    data = month_of_payments(hanako, year=year, month=month)

    sign_in(page, live_server, "demo-hanako")
    main_menu(page).get_by_role("link", name="領収書・明細書").click()
    expect(page.get_by_role("heading", name="領収書・明細書", level=1)).to_be_visible()
    page.get_by_label("月", exact=True).select_option(f"{year:04d}-{month:02d}")
    page.get_by_role("button", name="この月の明細書を作成").click()

    expect(page.get_by_role("heading", name="利用明細書（領収書）")).to_be_visible()
    expect(page.get_by_text("ご依頼を受け付けました")).to_be_visible()
    status = page.locator(".doc-status")
    expect(status).to_contain_text("作成中")
    page.evaluate("window.__samePage = true")  # gone if the page reloads

    download_link = page.get_by_role("link", name=re.compile("PDFをダウンロード"))
    expect(download_link).to_be_visible(timeout=30_000)
    assert page.evaluate("window.__samePage") is True, "the page reloaded instead of updating itself"

    document = Document.objects.get(member=hanako)
    with page.expect_download() as download_info:
        download_link.click()
    download = download_info.value
    assert download.suggested_filename == f"利用明細書_{document.number}.pdf"
    pdf = Path(download.path()).read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert pdf == document.file.read()

    (message,) = mail.outbox
    assert message.to == ["hanako.yamada@example.jp"]
    assert document.number in message.subject
    (name, attached, mimetype) = message.attachments[0]
    assert (name, attached, mimetype) == (f"利用明細書_{document.number}.pdf", pdf, "application/pdf")
    assert f"{data.total:,}円" in message.body

    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "documents-detail-360.png"), full_page=True)
    main_menu(page).get_by_role("link", name="領収書・明細書").click()
    expect(page.locator(".doc-item")).to_have_count(1)
    page.screenshot(path=str(SCREENSHOTS / "documents-list-360.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(SCREENSHOTS / "documents-list-1280.png"), full_page=True)


def test_member_makes_a_refund_statement(page, live_server, wester_id, eager_tasks):
    hanako = MemberFactory(wester_id="demo-hanako", username="demo-hanako", name="山田 花子",
                           email="hanako.yamada@example.jp")
    refund = domain_example_refund(hanako, refund_month=last_month(japan_today()))  # inside the window, any day

    sign_in(page, live_server, "demo-hanako")
    page.goto(live_server.url + "/refunds/")
    expect(page.get_by_role("heading", name="払いもどし", level=1)).to_be_visible()
    item = page.locator(f"#refund-{refund.center_id}")
    expect(item).to_contain_text("7,920円")
    expect(item).to_contain_text("62,900円")
    page.screenshot(path=str(SCREENSHOTS / "refunds-360.png"), full_page=True)
    item.get_by_role("button", name="払いもどし計算書を作成").click()
    expect(page.get_by_role("heading", name="払いもどし計算書")).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("PDFをダウンロード")).click()
    assert download_info.value.suggested_filename.startswith("払いもどし計算書_S-")
    assert len(mail.outbox) == 1


def test_one_payment_among_a_hundred_is_found_by_typing_its_date_and_amount(page, live_server, eager_tasks):
    """「1件のお支払いを選ぶ」 with 100 card payments: grouped by month, and the filter keeps
    the ones matching what is typed (a date as 11/3, an amount without its comma)."""
    from cards.models import UsageRecord
    from tests.e2e.member_data import japan_at, member_with_everything, sign_in_browser

    data = member_with_everything(payments=100)
    day = japan_today() - timedelta(days=2 + 50 * 3)  # the 51st of member_data's payments
    wanted = UsageRecord.objects.get(card=data.active, occurred_at=japan_at(day, 7 + 50 % 12, 50 % 60))
    assert wanted.amount == 1500
    sign_in_browser(page.context, live_server, data.member)
    page.goto(live_server.url + "/documents/")
    form = page.locator("form:has(input[name=mode][value=payment])")
    select = form.get_by_label("お支払い", exact=True)
    everything = select.locator("option").count()
    assert everything >= 100
    assert select.locator("optgroup").count() >= 10  # ten months and more
    assert re.fullmatch(r"\d{4}年\d{1,2}月（\d+件）", select.locator("optgroup").first.get_attribute("label"))

    search = form.get_by_label("お支払いを絞り込む")
    expect(search).to_be_visible()
    search.fill(f"{day.month}/{day.day} 1,500")
    expect(form.locator(".payment-filter__count")).to_have_text(re.compile(r"^\d+件のお支払いが条件に合います。$"))
    options = select.locator("option")
    assert 1 <= options.count() < 5
    texts = options.all_inner_texts()
    assert all("1,500円" in text for text in texts), texts  # 11/3 also matches 11/30: the amount tells
    assert any(text.startswith(f"{day.year}/{day.month}/{day.day} ") for text in texts), texts
    search.press("Enter")  # takes the member to the list, does not send the form
    expect(select).to_be_focused()
    assert page.url.endswith("/documents/")

    search.fill("該当しない言葉")
    expect(form.locator(".payment-filter__count")).to_have_text("条件に合うお支払いはありません。")
    expect(select).to_be_disabled()
    search.fill("")
    expect(select.locator("option")).to_have_count(everything)

    search.fill(f"{day.year}年{day.month}月{day.day}日 1500")
    select.select_option(f"charge:{wanted.center_id}")
    page.screenshot(path=str(SCREENSHOTS / "documents-one-payment-filtered-360.png"), full_page=True)
    form.get_by_role("button", name="このお支払いの領収書を作成").click()
    expect(page.get_by_role("heading", name="利用明細書（領収書）")).to_be_visible()
    document = Document.objects.get(member=data.member, payment_ref=f"charge:{wanted.center_id}")
    assert document.total_amount == 1500
