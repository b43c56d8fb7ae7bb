"""利用履歴証明: requested, numbered, made by the render task, stored, e-mailed, reprinted
with the figures it was issued with, and refused (nothing stored, nothing queued) when
it cannot be made. The PDF as poppler reads it. Tasks eager, real commits."""

from __future__ import annotations

import subprocess
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from accounts.tests.factories import MemberFactory
from billing import tasks
from billing.documents import rendering as pdf
from billing.documents import services as document_services
from billing.documents.exceptions import DocumentRequestInvalid
from billing.documents.usage_histories import RIDE, UsageHistoryLine, UsageHistoryScope, compose
from billing.models import Document, DocumentCounter, DocumentKind, DocumentOrigin, DocumentStatus
from billing.tests.test_document_pdf import assert_only_the_portal_font, pdf_path, text_of
from billing.tests.usage_history_data import at, commuter_month
from cards.models import Card
from cards.tests.factories import CardFactory, UsageRecordFactory
from cards.window import OutsideWindow
from portal.limits import LimitReached

pytestmark = pytest.mark.django_db(transaction=True)
JAPAN = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=JAPAN)
OCTOBER = {"start": date(2026, 10, 1), "end": date(2026, 10, 31)}


@pytest.fixture(autouse=True)
def frozen_time(eager_tasks, media_root):
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def member():
    return MemberFactory(name="山田 花子", email="hanako@example.jp")


def request(member, **kwargs) -> Document:
    document = document_services.usage_history_request(member=member, **(OCTOBER | kwargs)).document
    document.refresh_from_db()
    return document


def test_a_period_of_all_cards_lists_rides_buses_and_purchases_and_is_made_and_mailed(member):
    data = commuter_month(member)
    document = request(member)

    assert document.kind == DocumentKind.USAGE_HISTORY
    assert document.status == DocumentStatus.READY, document.failure_reason
    assert document.number == "H-202611-000001"
    assert document.total_amount == data.fares == 10 * 580 + 410 + 230
    content = document.content
    assert content["v"] == 1
    assert [line["kind"] for line in content["lines"]] == ["ride"] * 10 + ["ride", "bus", "purchase"]
    assert content["lines"][0] == {
        "at": "2026-10-01T08:15:00+09:00", "kind": "ride", "card_number": "JW•••••••••••0001", "amount": -580,
        "balance": 8420, "from_station": "大阪", "to_station": "京都",
    }
    assert (content["fare_total"], content["fare_count"]) == (data.fares, 12)
    assert (content["purchase_total"], content["purchase_count"]) == (540, 1)
    assert content["member_name"] == "山田 花子"
    assert content["cards"] == [{"nickname": "仕事用", "number": "JW•••••••••••0001"},
                                {"nickname": "買い物用", "number": "JW•••••••••••0002"}]
    assert document.file.read().startswith(b"%PDF-")

    (message,) = mail.outbox
    assert "利用履歴証明" in message.subject and document.number in message.subject
    assert "領収書ではありません" in message.body
    (name, attached, mimetype) = message.attachments[0]
    assert (name, mimetype) == (f"利用履歴証明_{document.number}.pdf", "application/pdf")
    document.file.open("rb")
    assert attached == document.file.read()


def test_rides_between_two_stations_either_way_typed_in_english_or_with_eki(member):
    data = commuter_month(member)
    document = request(member, scope="route", stations=("kyoto", "大阪駅"))
    assert document.status == DocumentStatus.READY
    assert [(x["from_station"], x["to_station"]) for x in document.content["lines"]] == [
        ("大阪", "京都"), ("京都駅", "大阪")
    ] * 5
    assert document.total_amount == data.route_fares == 5800
    assert document.content["scope"] == {"name": "route", "card": "", "stations": ["京都", "大阪"]}


def test_a_station_only_the_feed_knows_is_found_in_the_members_rides(member):
    commuter_month(member)
    card = Card.objects.get(icoca_number="JW7A0000000000002")
    UsageRecordFactory(card=card, occurred_at=at(date(2026, 10, 20), 9), from_station="大阪", to_station="嵐電嵐山")
    document = request(member, scope="route", stations=("嵐電嵐山", "大阪"))
    assert document.total_amount == 580


def test_rides_and_buses_only_and_one_card_only(member):
    data = commuter_month(member)
    transit = request(member, scope="transit")
    assert {x["kind"] for x in transit.content["lines"]} == {"ride", "bus"}
    assert transit.content["purchase_count"] == 0

    work = request(member, card=str(data.cards[0].public_id))
    assert {x["card_number"] for x in work.content["lines"]} == {"JW•••••••••••0001"}
    assert work.content["cards"] == [{"nickname": "仕事用", "number": "JW•••••••••••0001"}]
    assert work.number == "H-202611-000002"


def test_one_card_covers_the_cards_its_reissue_replaced(member):
    old = CardFactory(member=member, icoca_number="JW7A0000000000009", nickname="旧", status="reissued")
    new = CardFactory(member=member, icoca_number="JW7A0000000000010", nickname="新", replaces=old)
    UsageRecordFactory(card=old, occurred_at=at(date(2026, 10, 2), 8), amount=-580, balance=1000)
    UsageRecordFactory(card=new, occurred_at=at(date(2026, 10, 9), 8), amount=-580, balance=420)
    for asked in (old, new):  # an old card stands for its chain
        document = request(member, card=str(asked.public_id))
        assert [x["card_number"][-4:] for x in document.content["lines"]] == ["0009", "0010"]
    assert Document.objects.count() == 1  # the second request found the first document


def test_asking_again_for_the_same_gives_the_same_document(member):
    commuter_month(member)
    first = document_services.usage_history_request(member=member, scope="route", stations=("大阪", "京都"), **OCTOBER)
    again = document_services.usage_history_request(member=member, scope="route", stations=("京都駅", "Osaka"),
                                                    **OCTOBER)
    assert first.created and not again.created
    assert again.document.pk == first.document.pk
    assert len(mail.outbox) == 1


def refused(member, match: str, error=DocumentRequestInvalid, **kwargs) -> None:
    with pytest.raises(error, match=match):
        document_services.usage_history_request(member=member, **(OCTOBER | kwargs))
    assert not Document.objects.exists()
    assert not DocumentCounter.objects.exists()  # no number used
    assert not mail.outbox


def test_a_period_before_the_window_is_refused_with_the_earliest_date(member):
    commuter_month(member)
    refused(member, "2025年11月1日", OutsideWindow, start=date(2025, 10, 31))


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"start": date(2026, 10, 31), "end": date(2026, 10, 1)}, "始めは終わりより前"),
    ({"end": date(2026, 11, 26)}, "今日まで"),
    ({"scope": "charge"}, "乗車・バス・お買い物"),
    ({"scope": "route"}, "駅を2つ"),
    ({"scope": "route", "stations": ("大阪", "")}, "駅を2つ"),
    ({"scope": "route", "stations": ("大阪", "Osaka")}, "違う駅"),
    ({"scope": "route", "stations": ("大阪", "どこか駅")}, "駅「どこか駅」が見つかりません"),
    ({"scope": "route", "stations": ("大阪", "姫路")}, "この条件に合うご利用"),
    ({"start": date(2026, 11, 2), "end": date(2026, 11, 25)}, "この条件に合うご利用"),
])
def test_a_request_that_cannot_be_made_is_refused_and_nothing_is_stored_or_queued(member, kwargs, match):
    commuter_month(member)
    refused(member, match, **kwargs)


def test_another_members_card_is_not_found(member):
    commuter_month(member)
    other = CardFactory(member=MemberFactory())
    UsageRecordFactory(card=other, occurred_at=at(date(2026, 10, 3), 8))
    refused(member, "このカードは見つかりません", card=str(other.public_id))


def test_the_document_limits_hold_for_usage_histories(member, settings):
    settings.PORTAL_LIMITS = settings.PORTAL_LIMITS | {"document_requests_hour": (2, 3600)}
    commuter_month(member)
    request(member, scope="ride")
    request(member, scope="bus")
    with pytest.raises(LimitReached):
        document_services.usage_history_request(member=member, scope="purchase", **OCTOBER)
    assert Document.objects.count() == 2
    request(member, scope="bus")  # asking again for one that exists is free


def test_a_reprint_prints_the_figures_of_the_first_issue(member, tmp_path):
    data = commuter_month(member)
    original = request(member)
    UsageRecordFactory(card=data.cards[0], occurred_at=at(date(2026, 10, 20), 8), amount=-9990, balance=10)
    data.cards[0].nickname = "新しい名前"
    data.cards[0].save()
    member.name = "鈴木 花子"
    member.save()
    with time_machine.travel(datetime(2026, 12, 3, 9, 0, tzinfo=JAPAN), tick=False):
        reprint = document_services.document_reprint(member=member, document=original)
    reprint.refresh_from_db()
    assert (reprint.origin, reprint.number, reprint.scope) == (DocumentOrigin.REPRINT, original.number, original.scope)
    assert reprint.content == original.content and reprint.total_amount == original.total_amount
    text = text_of(pdf_path(reprint, tmp_path))
    assert "再発行" in text and "2026年11月25日" in text and "2026年12月3日" in text
    assert "9,990" not in text and "新しい名前" not in text and "鈴木" not in text
    assert "山田 花子 様" in text
    assert len(mail.outbox) == 1  # the original only


def test_the_render_task_twice_makes_one_document_and_one_email(member):
    commuter_month(member)
    document = request(member)
    first_file, first_hash = document.file.name, document.sha256
    assert tasks.document_render.delay(document.pk).get() is False
    assert tasks.document_email.delay(document.pk).get() is False
    document.refresh_from_db()
    assert (document.file.name, document.sha256, document.attempts) == (first_file, first_hash, 1)
    assert len(mail.outbox) == 1


def test_a_template_error_fails_the_document_with_the_reason(member, monkeypatch):
    commuter_month(member)

    def broken(**kwargs):
        raise KeyError("fare_total")

    monkeypatch.setattr(pdf, "render_usage_history", broken)
    document = request(member)
    assert document.status == DocumentStatus.FAILED
    assert "fare_total" in document.failure_reason
    assert not mail.outbox


# --- The PDF -----------------------------------------------------------------------------


def test_the_pdf_shows_each_line_the_totals_the_name_the_cards_and_that_it_is_no_receipt(member, tmp_path):
    data = commuter_month(member)
    path = pdf_path(request(member), tmp_path)
    text = text_of(path)
    assert "利用履歴証明" in text and "H-202611-000001" in text
    assert "山田 花子 様" in text
    assert "JW•••••••••••0001" in text and "JW•••••••••••0002" in text
    assert "2026年10月1日〜2026年10月31日" in text
    assert "2026/10/01 08:15 乗車 大阪 → 京都 0001 -580円 8,420円" in text
    assert "2026/10/01 18:30 乗車 京都駅 → 大阪 0001 -580円 7,840円" in text
    assert "2026/10/06 11:00 バス 京都市バス 0002 -230円 4,360円" in text
    assert "2026/10/06 12:00 買い物 駅ナカ売店 大阪駅 0002 -540円 3,820円" in text
    assert f"{data.fares:,}円" in text
    assert "領収書ではありません" in text
    assert "3,000" not in text  # the card charge is not on it
    assert "2026/09/30" not in text and "2026/11/01" not in text
    assert_only_the_portal_font(path)


def test_an_english_document_has_english_labels_and_station_names(member, tmp_path):
    member.language = "en"
    member.save()
    commuter_month(member)
    text = text_of(pdf_path(request(member, scope="route", stations=("大阪", "京都")), tmp_path))
    assert "Osaka → Kyoto" in text and "大阪" not in text
    assert "not a receipt" in text
    assert "Train" in text and "¥5,800" in text and "-¥580" in text


def test_a_long_history_paginates_with_the_table_head_on_every_page(tmp_path):
    start = datetime(2025, 12, 1, 7, 0, tzinfo=JAPAN)
    lines = [
        UsageHistoryLine(at=start + timedelta(hours=12 * n), kind=RIDE, card_number="JW•••••••••••0001",
                         amount=-580, balance=10000, from_station="大阪", to_station="京都")
        for n in range(400)
    ]
    content = compose(lines, member_name="山田 花子", period_start=date(2025, 12, 1), period_end=date(2026, 6, 1),
                      scope=UsageHistoryScope(), cards=[])
    header = pdf.Header(kind="usage_history", number="H-202611-000001", language="ja", issued_at=NOW,
                        issuer_name="西日本旅客鉄道株式会社", registration_number="T1234567890123", addressee="山田 花子")
    path = tmp_path / "long.pdf"
    path.write_bytes(pdf.render_usage_history(header=header, content=content))
    pages = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                           text=True, timeout=120).stdout.split("\f")
    pages = [page for page in pages if page.strip()]
    assert len(pages) >= 8
    for number, page in enumerate(pages, start=1):
        assert "日時" in page and "残額" in page, f"page {number} has no table head"
        assert f"{number} / {len(pages)}" in page
    assert "232,000円" in pages[-1] or "232,000円" in pages[0]


def test_a_reprint_in_the_other_language_has_the_same_number_and_figures_in_english(member, tmp_path):
    commuter_month(member)
    original = request(member, scope="route", stations=("大阪", "京都"), language="ja")
    reprint = document_services.document_reprint(member=member, document=original, language="en")
    reprint.refresh_from_db()
    assert (reprint.number, reprint.content, reprint.language) == (original.number, original.content, "en")
    text = text_of(pdf_path(reprint, tmp_path))
    assert original.number in text and "Osaka → Kyoto" in text and "¥5,800" in text
    assert "not a receipt" in text and "乗車" not in text
