"""The station table (cards/stations.py) and where it is used: English pages show
English station, line and bus-operator names, a name the table does not know is shown
as sent and marked lang="ja", Japanese pages and the CSV keep the feed's names."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from html import unescape

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from cards import stations
from cards.demo_feed import STATIONS as DEMO_STATIONS
from cards.demo_feed import generate_feed
from cards.models import UsageKind
from cards.services import pass_reminder_send
from cards.tests.factories import CardFactory, CommuterPassFactory, UsageRecordFactory
from cards.tests.history_factories import RefundFactory

JST = timezone(timedelta(hours=9))
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=JST)
JAPANESE = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")


# --- The table ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "english"),
    [
        ("大阪", "Osaka"), ("三ノ宮", "Sannomiya"), ("西明石", "Nishi-Akashi"), ("JR神戸線", "JR Kobe Line"),
        ("新大阪", "Shin-Osaka"), ("ユニバーサルシティ", "Universal City"), ("関西空港", "Kansai Airport"),
        ("大和路線", "Yamatoji Line"), ("大阪環状線", "Osaka Loop Line"), ("高槻市営バス", "Takatsuki City Bus"),
        (" 京都 ", "Kyoto"), ("姫路駅", "Himeji"),
    ],
)
def test_the_table_gives_english_names(name, english):
    assert stations.english_name(name) == english
    assert stations.display_name(name, "en") == english
    assert stations.display_name(name, "ja") == name
    assert not stations.needs_lang_mark(name, "en")


@pytest.mark.parametrize("name", ["どこか駅前", "駅ナカ売店 大阪駅", "大阪 駅", "", "Osaka", "大阪駅駅"])
def test_a_name_the_table_does_not_know_is_shown_as_sent(name):
    assert stations.english_name(name) is None
    assert stations.display_name(name, "en") == name
    assert stations.needs_lang_mark(name, "en") == bool(JAPANESE.search(name))
    assert not stations.needs_lang_mark(name, "ja")


def test_every_english_name_is_plain_latin_text():
    for table in (stations.STATIONS, stations.LINES, stations.OPERATORS):
        for name, english in table.items():
            assert re.fullmatch(r"[A-Za-z][A-Za-z' -]*", english), (name, english)


def test_the_table_covers_every_station_line_and_bus_of_the_demo_feed():
    seen: set[str] = set(DEMO_STATIONS)
    for record in generate_feed(now=NOW, members=40):
        for key in ("from", "to", "via", "operator"):
            if record.get(key):
                seen.add(record[key])
    unknown = sorted(name for name in seen if stations.english_name(name) is None)
    assert unknown == []
    assert {"JR神戸線", "JR京都線", "大和路線", "高槻市営バス"} <= seen


def test_the_main_jr_west_kansai_lines_are_in_the_table():
    for line in ("JR京都線", "JR神戸線", "大阪環状線", "JRゆめ咲線", "大和路線", "阪和線", "関西空港線", "奈良線",
                 "学研都市線", "JR東西線", "JR宝塚線", "琵琶湖線", "湖西線", "嵯峨野線", "おおさか東線"):
        assert line in stations.LINES


# --- On the pages -------------------------------------------------------------------------



@pytest.fixture
def card():
    return CardFactory(nickname="仕事用")


@pytest.fixture
def member_client(client, card):
    with time_machine.travel(NOW, tick=False):
        client.force_login(card.member)
        yield client


def english(client):
    client.cookies["django_language"] = "en"
    return client


def jst(*args) -> datetime:
    return datetime(*args, tzinfo=JST).astimezone(UTC)


def history_items(response) -> list[str]:
    html = unescape(response.content.decode())
    return re.findall(r'<li class="line line--[a-z_]+">(.*?)</li>', html, re.S)


@pytest.mark.django_db
def test_the_english_history_shows_english_names_and_marks_unknown_ones(member_client, card):
    UsageRecordFactory(card=card, occurred_at=jst(2026, 11, 20, 8, 0), from_station="三ノ宮", to_station="西明石")
    UsageRecordFactory(card=card, occurred_at=jst(2026, 11, 20, 9, 0), from_station="大阪", to_station="どこか新駅")
    UsageRecordFactory(card=card, occurred_at=jst(2026, 11, 20, 10, 0), kind=UsageKind.BUS, amount=-230,
                       from_station="", to_station="", operator="高槻市営バス")
    UsageRecordFactory(card=card, occurred_at=jst(2026, 11, 20, 11, 0), kind=UsageKind.PURCHASE, amount=-120,
                       from_station="", to_station="", merchant="駅ナカ売店 大阪駅")

    items = history_items(english(member_client).get(reverse("cards:history")))

    purchase, bus, unknown, ride = items
    assert "Sannomiya → Nishi-Akashi" in ride
    assert not JAPANESE.search(re.sub(r"<[^>]+>", "", ride).replace("仕事用", ""))
    assert 'Osaka → <span lang="ja">どこか新駅</span>' in unknown
    assert "Takatsuki City Bus" in bus
    assert '<span lang="ja">駅ナカ売店 大阪駅</span>' in purchase


@pytest.mark.django_db
def test_the_japanese_history_and_the_csv_keep_the_feeds_names(member_client, card):
    UsageRecordFactory(card=card, occurred_at=jst(2026, 11, 20, 8, 0), from_station="三ノ宮", to_station="どこか新駅")

    items = history_items(member_client.get(reverse("cards:history")))
    assert "三ノ宮 → どこか新駅" in items[0]
    assert "lang=" not in items[0]

    for client in (member_client, english(member_client)):
        csv = b"".join(client.get(reverse("cards:history-export")).streaming_content).decode("utf-8-sig")
        assert "三ノ宮" in csv and "どこか新駅" in csv
        assert "Sannomiya" not in csv and "lang=" not in csv


@pytest.mark.django_db
def test_card_pages_and_the_refund_list_show_the_pass_section_in_english(member_client, card):
    commuter_pass = CommuterPassFactory(card=card, from_station="大阪", to_station="三ノ宮", via="JR神戸線",
                                        valid_from=date(2026, 11, 1), valid_until=date(2027, 1, 31))
    RefundFactory(card=card, commuter_pass=commuter_pass)
    client = english(member_client)

    for path in ("/", f"/cards/{card.public_id}/", "/refunds/"):
        page = unescape(client.get(path).content.decode())
        assert re.search(r"Osaka ?⇔ ?Sannomiya", page), path
        assert "大阪" not in page and "三ノ宮" not in page, path
    detail = unescape(client.get(f"/cards/{card.public_id}/").content.decode())
    assert "JR Kobe Line" in detail

    member_client.cookies["django_language"] = "ja"
    japanese = unescape(member_client.get(f"/cards/{card.public_id}/").content.decode())
    assert "大阪⇔三ノ宮" in japanese and "JR神戸線" in japanese


@pytest.mark.django_db
def test_an_unknown_pass_station_is_marked_japanese_on_english_pages(member_client, card):
    CommuterPassFactory(card=card, from_station="大阪", to_station="どこか新駅", via="",
                        valid_from=date(2026, 11, 1), valid_until=date(2027, 1, 31))

    page = english(member_client).get(f"/cards/{card.public_id}/").content.decode()

    assert 'Osaka⇔<span lang="ja">どこか新駅</span>' in page


@pytest.mark.django_db
def test_the_english_pass_reminder_names_the_section_in_english(card, settings):
    card.member.language = "en"
    card.member.email = "hanako@example.com"
    card.member.save()
    with time_machine.travel(NOW, tick=False):
        commuter_pass = CommuterPassFactory(card=card, from_station="三ノ宮", to_station="西明石", via="JR神戸線",
                                            valid_from=date(2026, 9, 1), valid_until=date(2026, 11, 30))
        assert pass_reminder_send(commuter_pass_id=commuter_pass.pk, today=date(2026, 11, 25))

    body = mail.outbox[-1].body
    assert "Section:     Sannomiya - Nishi-Akashi (via JR Kobe Line)" in body
