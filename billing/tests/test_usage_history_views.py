"""利用履歴証明 on /documents/ and from the history page: the form, its refusals (400,
a clear message, nothing stored or queued), the history page's button carrying its
filters, and 404 for another member's card or document."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import MemberFactory
from billing.documents import services as document_services
from billing.documents.forms import UsageHistoryForm
from billing.models import Document, DocumentCounter, DocumentKind
from billing.tests.usage_history_data import at, commuter_month
from cards.tests.factories import CardFactory, UsageRecordFactory

pytestmark = pytest.mark.django_db(transaction=True)
JAPAN = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=JAPAN)
TODAY = NOW.date()
URL = "/documents/usage-history/"


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


def form(data: dict, cards=()) -> UsageHistoryForm:
    return UsageHistoryForm(data, today=TODAY, cards=list(cards))


OCTOBER = {"start": "2026-10-01", "end": "2026-10-31", "scope": "all"}


# --- The form ------------------------------------------------------------------------------


def test_the_form_takes_a_period_a_scope_and_for_a_route_two_stations():
    assert form(OCTOBER).is_valid()
    route = form(OCTOBER | {"scope": "route", "station_a": " 大阪 ", "station_b": "Kyoto"})
    assert route.is_valid() and route.cleaned_data["stations"] == ("大阪", "Kyoto")
    other = form(OCTOBER | {"station_a": "大阪"})
    assert other.is_valid() and other.cleaned_data["stations"] is None  # not a route: ignored


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"start": "2025-10-31"}, "start", "2025年11月1日より前の期間は指定できません"),
    ({"start": "2026-10-31", "end": "2026-10-01"}, "end", "始めと同じか、それより後"),
    ({"end": "2026-11-26"}, "end", "今日まで"),
    ({"start": "2026/10/99"}, "start", "日付"),
    ({"start": ""}, "start", "必須"),
    ({"scope": "charge"}, "scope", "charge"),
    ({"scope": "route"}, "station_a", "駅を入力してください"),
    ({"scope": "route", "station_a": "大阪"}, "station_b", "駅を入力してください"),
    ({"scope": "route", "station_a": "大阪", "station_b": "大阪"}, "station_b", "違う駅"),
    ({"scope": "route", "station_a": "大阪", "station_b": "x" * 41}, "station_b", "40"),
    ({"card": "not-a-card"}, "card", "not-a-card"),
])
def test_bad_input_is_refused_with_a_message_on_its_field(data, field, message):
    bound = form(OCTOBER | data)
    assert not bound.is_valid()
    assert message in " ".join(bound.errors[field]), bound.errors


# --- The pages ---------------------------------------------------------------------------


def test_the_documents_page_offers_it_and_a_request_makes_it(signed_in, hanako):
    data = commuter_month(hanako)
    page = page_of(signed_in.get("/documents/"))
    assert "利用履歴証明（交通費精算用）を作成する" in page
    assert f'value="{data.cards[0].public_id}"' in page  # a card to choose
    response = signed_in.post(URL, OCTOBER | {"scope": "route", "station_a": "大阪", "station_b": "京都"})
    document = Document.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/documents/{document.public_id}/"
    assert document.kind == DocumentKind.USAGE_HISTORY and document.total_amount == data.route_fares
    detail = page_of(signed_in.get(response["Location"]))
    assert "利用履歴証明" in detail and "大阪⇔京都の乗車" in detail and "5,800円" in detail
    listed = page_of(signed_in.get("/documents/?kind=usage_history"))
    assert document.number in listed and "すべてのカード" in listed


def test_the_list_shows_each_usage_historys_scope_without_reading_its_lines(signed_in, hanako):
    data = commuter_month(hanako)
    card = data.cards[0]
    signed_in.post(URL, OCTOBER | {"scope": "route", "station_a": "大阪", "station_b": "京都"})
    with CaptureQueriesContext(connection) as one:
        signed_in.get("/documents/?kind=usage_history")
    signed_in.post(URL, OCTOBER | {"card": str(card.public_id), "start": "2026-10-02"})
    signed_in.post(URL, OCTOBER | {"start": "2026-10-03"})
    with CaptureQueriesContext(connection) as three:
        listed = page_of(signed_in.get("/documents/?kind=usage_history"))
    assert "大阪⇔京都の乗車" in listed and f"{card.nickname or 'ICOCA'} " in listed and "すべてのカード" in listed
    assert len(three) == len(one)  # no query per document
    document_reads = [q["sql"] for q in three.captured_queries if "FROM billing_document d" in q["sql"]]
    assert len(document_reads) == 2  # the count and the page (selectors.DocumentList)
    assert not [sql for sql in document_reads if re.search(r"\bd\.content\s*(,|FROM)", sql)]  # its scope and first card


@pytest.mark.parametrize(("data", "message"), [
    ({"start": "2025-10-31"}, "2025年11月1日より前の期間は指定できません"),
    ({"end": "2026-12-01"}, "今日までの日付"),
    ({"scope": "route", "station_a": "大阪", "station_b": "どこか"}, "駅「どこか」が見つかりません"),
    ({"start": "2026-11-10", "end": "2026-11-20"}, "この条件に合うご利用"),
])
def test_a_refusal_shows_the_form_again_with_the_reason_and_stores_nothing(signed_in, hanako, data, message):
    commuter_month(hanako)
    response = signed_in.post(URL, OCTOBER | data)
    assert response.status_code == 400
    assert message in page_of(response)
    assert not Document.objects.exists() and not DocumentCounter.objects.exists() and not mail.outbox


def test_another_members_card_is_a_404_and_nothing_is_made(signed_in, hanako):
    commuter_month(hanako)
    theirs = CardFactory(member=MemberFactory())
    UsageRecordFactory(card=theirs, occurred_at=at(date(2026, 10, 5), 8))
    assert signed_in.post(URL, OCTOBER | {"card": str(theirs.public_id)}).status_code == 404
    assert signed_in.post(URL, OCTOBER | {"card": "00000000-0000-0000-0000-000000000000"}).status_code == 404
    assert not Document.objects.exists()


def test_another_members_usage_history_is_not_found_anywhere(signed_in, hanako):
    other = MemberFactory()
    commuter_month(other)
    theirs = document_services.usage_history_request(
        member=other, start=date(2026, 10, 1), end=date(2026, 10, 31)).document
    base = f"/documents/{theirs.public_id}"
    for url in (f"{base}/", f"{base}/status/", f"{base}/download/"):
        assert signed_in.get(url).status_code == 404, url
    for url in (f"{base}/reprint/", f"{base}/retry/", f"{base}/email/"):
        assert signed_in.post(url).status_code == 404, url
    assert theirs.number not in page_of(signed_in.get("/documents/"))


def test_the_download_is_the_members_pdf_with_its_name(signed_in, hanako):
    commuter_month(hanako)
    signed_in.post(URL, OCTOBER)
    document = Document.objects.get()
    response = signed_in.get(f"/documents/{document.public_id}/download/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "ICOCA-usage-history_H-202611-000001.pdf" in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"


def test_the_history_page_button_carries_the_filters_in_force(signed_in, hanako):
    data = commuter_month(hanako)
    work = data.cards[0]
    page = page_of(signed_in.get(f"/history/?card={work.public_id}&month=2026-10&kind=ride"))
    assert "この条件で印刷用PDFを作成" in page
    for name, value in (("card", work.public_id), ("start", "2026-10-01"), ("end", "2026-10-31"), ("scope", "ride")):
        assert f'name="{name}" value="{value}"' in page, name

    page = page_of(signed_in.get("/history/?month=2026-11"))  # the month in progress: up to today
    assert 'name="end" value="2026-11-25"' in page and 'name="scope" value="all"' in page
    assert 'name="card" value=""' in page
    page = page_of(signed_in.get("/history/?from=2026-10-03"))
    assert 'name="start" value="2026-10-03"' in page and 'name="end" value="2026-11-25"' in page
    page = page_of(signed_in.get("/history/"))  # no filter: the whole window
    assert 'name="start" value="2025-11-01"' in page

    page = page_of(signed_in.get("/history/?kind=charge"))  # charges are not on it: no button, and why
    assert "この条件で印刷用PDFを作成" not in page and "乗車・バス・お買い物です" in page

    response = signed_in.post(URL, {"card": str(work.public_id), "start": "2026-10-01", "end": "2026-10-31",
                                    "scope": "ride"})
    assert response.status_code == 302
    document = Document.objects.get()
    assert {x["card_number"] for x in document.content["lines"]} == {"JW•••••••••••0001"}
    assert document.total_amount == data.route_fares


def test_in_english_the_button_and_the_refusals_are_english(signed_in, hanako, settings):
    commuter_month(hanako)
    signed_in.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Create a printable PDF with these filters" in page_of(signed_in.get("/history/"))
    page = page_of(signed_in.post(URL, OCTOBER | {"scope": "route", "station_a": "Osaka", "station_b": "Nowhere"}))
    assert "The station “Nowhere” was not found" in page
    page = page_of(signed_in.post(URL, OCTOBER | {"start": "2026-11-10", "end": "2026-11-20"}))
    assert "There are no rides, buses or purchases that match" in page
    signed_in.post(URL, OCTOBER | {"scope": "route", "station_a": "Osaka", "station_b": "Kyoto"})
    listed = page_of(signed_in.get("/documents/"))
    assert "Rides Osaka⇔Kyoto" in listed
    for japanese in ("年", "円", "〜", "（", "）"):
        assert japanese not in listed, japanese


def test_the_help_says_what_a_record_of_use_is_in_both_languages(client, settings):
    page = page_of(client.get("/help/"))
    assert 'id="usage-history"' in page and 'href="#usage-history"' in page
    assert "領収書ではありません" in page and "この条件で印刷用PDFを作成" in page
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = page_of(client.get("/help/"))
    assert "A record of use is not a receipt." in page and "Create a printable PDF with these filters" in page
