"""利用履歴証明 in Chromium: Hanako filters her history to last month's rides on her work
card, presses 「この条件で印刷用PDFを作成」, lands on the document's page, and downloads a
PDF that lists exactly those rides; both pages pass axe at 360 and 1280 px."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import MemberFactory
from billing.models import Document, DocumentKind
from billing.tests.usage_history_data import commuter_month
from cards.window import japan_today, last_month
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


def test_the_history_pages_filters_make_the_printed_history(page, live_server, wester_id, eager_tasks, axe_check):
    hanako = MemberFactory(wester_id="demo-hanako", username="demo-hanako", name="山田 花子",
                           email="hanako.yamada@example.jp")
    year, month = last_month(japan_today())
    data = commuter_month(hanako, year=year, month=month)
    work = data.cards[0]

    sign_in(page, live_server, "demo-hanako")
    page.goto(live_server.url + "/history/")
    page.get_by_role("heading", name="絞り込み").click()
    page.get_by_label("カード").select_option(label=f"仕事用（{work.masked_number}）")
    page.get_by_label("種別").select_option(label="乗車")
    page.get_by_label("月", exact=True).select_option(f"{year:04d}-{month:02d}")
    page.get_by_role("button", name="表示する").click()
    expect(page).to_have_url(re.compile(r"kind=ride"))
    SCREENSHOTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 360, "height": 800})
    axe_check(page, "history with the print button, 360 px")
    page.screenshot(path=str(SCREENSHOTS / "usage-history-button-360.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    axe_check(page, "history with the print button, 1280 px")
    page.screenshot(path=str(SCREENSHOTS / "usage-history-button-1280.png"), full_page=True)

    page.get_by_role("button", name="この条件で印刷用PDFを作成").click()
    expect(page.get_by_role("heading", name="利用履歴証明", level=1)).to_be_visible()
    expect(page.get_by_text("ご依頼を受け付けました")).to_be_visible()
    download_link = page.get_by_role("link", name=re.compile("PDFをダウンロード"))
    expect(download_link).to_be_visible(timeout=30_000)
    page.set_viewport_size({"width": 360, "height": 800})
    axe_check(page, "the usage history's page, 360 px")
    page.screenshot(path=str(SCREENSHOTS / "usage-history-detail-360.png"), full_page=True)

    document = Document.objects.get(member=hanako)
    assert document.kind == DocumentKind.USAGE_HISTORY
    assert document.content["scope"]["name"] == "ride" and document.content["scope"]["card"] == str(work.public_id)
    with page.expect_download() as download_info:
        download_link.click()
    download = download_info.value
    assert download.suggested_filename == f"利用履歴証明_{document.number}.pdf"
    path = Path(download.path())
    assert path.read_bytes() == document.file.read()
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True,
                          timeout=60).stdout
    assert text.count("乗車") >= len(data.rides) and "三ノ宮" not in text and "京都市バス" not in text
    assert f"{data.route_fares:,}円" in text and "領収書ではありません" in text
    page.get_by_role("link", name="領収書・明細書").first.click()
    page.set_viewport_size({"width": 1280, "height": 900})
    axe_check(page, "documents with the usage history form, 1280 px")
    page.screenshot(path=str(SCREENSHOTS / "usage-history-documents-1280.png"), full_page=True)
