"""The PDFs as poppler reads them: the figures for known card-center data,
the embedded font, the metadata, A4 and PDF/A-3b."""

from __future__ import annotations

import base64
import http.server
import re
import subprocess
import threading
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.tests.factories import MemberFactory
from billing.documents import rendering as pdf
from billing.documents import services as document_services
from billing.models import Document, DocumentStatus
from billing.tests.document_data import domain_example_refund, month_of_payments

pytestmark = pytest.mark.django_db(transaction=True)
JAPAN = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=JAPAN)


@pytest.fixture(autouse=True)
def frozen_time(eager_tasks, media_root):
    with time_machine.travel(NOW, tick=False):
        yield


def poppler(tool: str, path: Path, *args: str) -> str:
    return subprocess.run([tool, *args, str(path), *(["-"] if tool == "pdftotext" else [])],
                          check=True, capture_output=True, text=True, timeout=60).stdout


def pdf_path(document, tmp_path) -> Path:
    document.refresh_from_db()
    assert document.status == DocumentStatus.READY, document.failure_reason
    path = tmp_path / f"{document.number}-{document.pk}.pdf"
    path.write_bytes(document.file.read())
    return path


def text_of(path: Path) -> str:
    """The text, one PDF line per line, runs of spaces made one."""
    return "\n".join(" ".join(line.split()) for line in poppler("pdftotext", path, "-layout").splitlines())


def row(text: str, start: str) -> str:
    """A table row of the layout text: its first line (starting with ``start``)
    and the lines its wrapped cells continue on, up to the blank line after it."""
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith(start))
    end = next((i for i in range(first + 1, len(lines)) if not lines[i].strip()), len(lines))
    return " ".join(lines[first:end])


def assert_row(text: str, start: str, *cells: str) -> None:
    found = row(text, start)
    missing = [cell for cell in cells if cell not in found]
    assert not missing, f"{missing} not in the row {found!r}"


def assert_only_the_portal_font(path: Path) -> None:
    rows = poppler("pdffonts", path).splitlines()[2:]
    assert rows, "no font in the PDF"
    for row in rows:
        name, *_, emb, sub, uni, _obj, _gen = row.split()
        assert re.fullmatch(r"[A-Z]{6}\+BIZ-UDPGothic(-Bold)?", name), row  # a subset of BIZ UDPGothic only
        assert (emb, sub, uni) == ("yes", "yes", "yes"), row


def info_of(path: Path) -> dict[str, str]:
    return {
        key.strip(): value.strip()
        for key, _, value in (line.partition(":") for line in poppler("pdfinfo", path).splitlines())
    }


@pytest.fixture
def member():
    return MemberFactory(name="山田 花子", email="hanako@example.jp")


def test_receipt_in_japanese_carries_every_figure(member, tmp_path):
    month_of_payments(member, charges=4)
    document = document_services.receipt_request_month(member=member, year=2026, month=10).document
    path = pdf_path(document, tmp_path)
    text = text_of(path)

    assert "利用明細書（領収書）" in text
    assert "山田 花子 様" in text
    assert "R-202611-000001" in text
    assert "2026年11月25日" in text  # issue date
    assert "対象期間：2026年10月1日〜2026年10月31日" in text
    # the lines: time (Japan), card, what, paid with, amount, tax marking
    assert re.search(r"^2026/10/01 08:15 仕事用 JW•{11}\d{4} チャージ VISA ••••4242 3,000円 不課税$", text, re.M)
    assert re.search(r"^2026/10/02 08:15 買い物用 JW•{11}\d{4} チャージ VISA ••••4242 5,000円 不課税$", text, re.M)
    assert_row(text, "2026/10/28 21:04", "仕事用 JW•", "定期券", "大阪⇔三ノ宮", "通勤", "3か月",
               "2026/10/31〜2027/01/30", "Mastercard", "••••5454", "36,960円 10%（税込）")
    assert_row(text, "2026/10/03 12:00", "買い物用 JW•", "定期券", "京都⇔大阪", "通学", "1か月",
               "2026/10/04〜2026/11/03", "VISA", "••••4242", "12,970円 10%（税込）")
    assert len(re.findall(r"^\d{4}/\d\d/\d\d \d\d:\d\d ", text, re.M)) == 6  # 4 charges, 2 passes
    assert "1,000円" not in text and "500円" not in text  # the cash and the point charge are not on it
    assert "2,000円" not in text  # nor the card charges just outside the month
    # the tax per rate, rounded down once for the document: floor(49,930 × 10 / 110) = 4,539
    assert "10%対象 49,930円" in text
    assert "うち消費税等 4,539円" in text
    assert "不課税 16,000円" in text
    assert "合計 65,930円" in text
    assert "西日本旅客鉄道株式会社" in text
    assert "登録番号 T1234567890123" in text
    assert "再発行" not in text

    assert_only_the_portal_font(path)
    info = info_of(path)
    assert info["Title"] == "利用明細書（領収書）"
    assert info["Subject"] == "R-202611-000001"
    assert "R-202611-000001" in info["Keywords"]
    assert info["Author"] == "西日本旅客鉄道株式会社"
    assert info["Page size"].startswith("595.276 x 841.89")  # A4
    metadata = poppler("pdfinfo", path, "-meta")
    assert 'pdfaid:part="3"' in metadata and 'pdfaid:conformance="B"' in metadata


def test_receipt_in_english(member, tmp_path):
    member.language = "en"
    member.save()
    month_of_payments(member, charges=2)
    document = document_services.receipt_request_month(member=member, year=2026, month=10).document
    text = text_of(path := pdf_path(document, tmp_path))
    assert "Usage statement (receipt)" in text
    assert "Period: 2026-10-01 to 2026-10-31" in text
    assert re.search(r"^2026/10/01 08:15 仕事用 JW•{11}\d{4} Charge VISA ••••4242 ¥3,000 Not taxable$", text, re.M)
    assert "10% rate ¥49,930" in text
    assert "of which consumption tax ¥4,539" in text
    assert "Not subject to consumption tax ¥8,000" in text
    assert "Total ¥57,930" in text
    assert "West Japan Railway Company" in text
    assert "T1234567890123" in text
    assert_only_the_portal_font(path)
    assert info_of(path)["Author"] == "West Japan Railway Company"


def test_an_empty_receipt_issued_before_still_prints(member, tmp_path):
    """No empty receipt is issued any more; one stored earlier still prints (a reprint)."""
    document = Document.objects.create(
        member=member, kind="receipt", number="R-202606-000001", language="ja",
        content={"v": 2, "lines": [], "tax_groups": [], "total": 0}, total_amount=0,
        issuer_name="西日本旅客鉄道株式会社", issuer_registration_number="T1234567890123", addressee_name="山田 花子",
        period_start=date(2026, 6, 1), period_end=date(2026, 6, 30),
    )
    document_services.document_render(document_id=document.pk)
    text = text_of(path := pdf_path(document, tmp_path))
    assert "この期間に登録カードでのお支払いはありませんでした。" in text
    assert "0円" in text
    assert "不課税" not in text  # no charge, no note about charges
    assert_only_the_portal_font(path)


def test_a_reprint_is_marked_with_its_number_and_first_issue_date(member, tmp_path):
    month_of_payments(member, charges=2)
    original = document_services.receipt_request_month(member=member, year=2026, month=10).document
    original.refresh_from_db()
    with time_machine.travel(datetime(2026, 12, 3, 9, 0, tzinfo=JAPAN), tick=False):
        reprint = document_services.document_reprint(member=member, document=original)
    text = text_of(pdf_path(reprint, tmp_path))
    original_text = text_of(pdf_path(original, tmp_path))
    assert "再発行" in text
    assert "初回発行日 2026年11月25日" in text
    assert "再発行日 2026年12月3日" in text
    assert "R-202611-000001" in text
    # the same document otherwise: every line of the original is on the reprint
    body = original_text.split("明細", 1)[1]
    assert [line for line in body.splitlines() if line and line not in text] == []


def test_refund_statement_shows_each_step_of_the_domain_example(member, tmp_path):
    refund = domain_example_refund(member)
    document = document_services.refund_statement_request(member=member, refund=refund).document
    text = text_of(path := pdf_path(document, tmp_path))
    assert "払いもどし計算書" in text
    assert "S-202611-000001" in text
    assert "払いもどし日 2026年8月20日" in text
    assert "大阪⇔三ノ宮（JR神戸線経由） 通勤" in text
    assert "2026年4月1日〜2026年9月30日（6か月）" in text
    assert "発売額 70,040円" in text
    assert "使用月数 5か月" in text
    assert "差し引く運賃 62,900円" in text
    assert "3か月定期運賃 36,960円 × 1 ＝ 36,960円" in text
    assert "1か月定期運賃 12,970円 × 2 ＝ 25,940円" in text
    assert "定期券の払いもどし額 70,040円 − 62,900円 ＝ 7,140円" in text
    assert "ICOCAの残額 1,000円" in text
    assert "小計 8,140円" in text
    assert "払いもどし手数料 − 220円" in text
    assert "払いもどし額 7,920円" in text
    assert "VISA ••••4242" in text
    assert_only_the_portal_font(path)
    info = info_of(path)
    assert (info["Title"], info["Subject"]) == ("払いもどし計算書", "S-202611-000001")


def test_refund_statement_in_english(member, tmp_path):
    member.language = "en"
    member.save()
    document = document_services.refund_statement_request(member=member, refund=domain_example_refund(member)).document
    text = text_of(pdf_path(document, tmp_path))
    assert "Refund statement" in text
    assert "3-month pass fare ¥36,960 × 1 = ¥36,960" in text
    assert "Pass refund ¥70,040 − ¥62,900 = ¥7,140" in text
    assert "Amount refunded ¥7,920" in text


# -- what WeasyPrint may fetch ------------------------------------------------------------


class _Counting(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):
        _Counting.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        self.wfile.write(PNG)

    def log_message(self, *args):
        pass


PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)


@pytest.fixture
def web_server():
    """A server on this machine that counts the requests it gets."""
    _Counting.requests = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Counting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def refused_urls(base: str, tmp_path: Path) -> list[str]:
    image = tmp_path / "image.png"
    image.write_bytes(PNG)
    font = pdf.FONT_FILES[400]
    return [
        f"{base}/image.png", "https://portal.example.jp/image.png", "ftp://127.0.0.1/image.png",
        "data:image/png;base64," + base64.b64encode(PNG).decode(), image.as_uri(), "file:///etc/passwd",
        (pdf.FONT_DIR / "COPYRIGHT-and-OFL.txt").as_uri(), font.as_uri() + "?x=1", font.as_uri() + "#x",
        "file://other-host" + str(font), "image.png",
    ]


def test_the_url_fetcher_serves_the_shipped_fonts_and_refuses_everything_else(web_server, tmp_path):
    fetcher = pdf.url_fetcher()
    for font in pdf.FONT_FILES.values():
        for url in (font.as_uri(), (pdf.FONT_DIR / ".." / "fonts" / font.name).as_uri()):
            response = fetcher.fetch(url)
            assert response.read() == font.read_bytes()
            response.close()
    for url in [*refused_urls(web_server, tmp_path), str(pdf.FONT_FILES[400])]:
        with pytest.raises(ValueError, match="loads only its shipped fonts"):
            fetcher.fetch(url)
    assert _Counting.requests == []


def test_a_document_loads_nothing_but_its_fonts(web_server, tmp_path, caplog):
    """Images, style sheets and fonts named by any other URL are left out, and the server
    named gets no request; the text is still set in the shipped font."""
    urls = refused_urls(web_server, tmp_path)
    faces = "".join(f'@font-face {{ font-family: "Other{i}"; src: url("{url}"); }}' for i, url in enumerate(urls))
    html = (
        "<html><head><style>"
        f'@import url("{web_server}/style.css"); {faces}'
        f'body {{ font-family: "{pdf.FONT_FAMILY}"; background: url("{web_server}/background.png"); }}'
        + "".join(f'@font-face {{ font-family: "{pdf.FONT_FAMILY}"; src: url("{face["url"]}"); }}'
                  for face in pdf.font_faces())
        + f'</style><link rel="stylesheet" href="{web_server}/linked.css"></head><body><p>利用明細書</p>'
        + "".join(f'<img src="{url}">' for url in urls)
        + "</body></html>"
    )
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf.html_to_pdf(html))
    assert _Counting.requests == []
    assert "利用明細書" in poppler("pdftotext", path)
    assert "BIZ-UDPGothic" in poppler("pdffonts", path)
    assert poppler("pdfimages", path, "-list").strip().splitlines()[2:] == []  # no image at all
    assert "loads only its shipped fonts" in caplog.text
