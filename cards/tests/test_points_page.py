"""/points/: the WESTER points balance and the ledger the card center sent (DOMAIN.md: "The
portal shows the balance and the ledger"), newest first, back to the first day of the month
one year ago, page after page by keyset; only the member's own lines."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.conf import settings

from cards import selectors
from cards.models import PointsKind
from cards.tests.factories import PointsEntryFactory
from cards.tests.test_views import JAPAN, NOW, _frozen, text  # noqa: F401 (_frozen: autouse, the frozen time)

pytestmark = pytest.mark.django_db


def test_the_balance_and_the_ledger_newest_first(member_client, member):
    PointsEntryFactory(member=member, occurred_at=NOW - timedelta(days=40), points=128, category="ride_count")
    PointsEntryFactory(member=member, occurred_at=NOW - timedelta(days=3), kind=PointsKind.CHARGE, points=-500,
                       category="")
    PointsEntryFactory(member=member, occurred_at=NOW - timedelta(days=1), kind=PointsKind.EXPIRE, points=-12)
    PointsEntryFactory(points=9999)  # another member's
    page = text(member_client.get("/points/"))
    assert "ポイント残高 -384 ポイント" in page
    ledger = page.split("ポイントの履歴（新しい順）", 1)[1]
    assert ledger.index("失効") < ledger.index("チャージに利用") < ledger.index("獲得")
    assert "−12 P" in ledger and "−500 P" in ledger and "+128 P" in ledger and "乗車ポイント" in ledger
    assert "9,999" not in page and "2025年12月1日以降の履歴を表示します。" in page


def test_lines_before_the_window_are_not_shown_but_count_in_the_balance(member_client, member):
    PointsEntryFactory(member=member, occurred_at=datetime(2025, 11, 30, 23, 59, tzinfo=JAPAN), points=7)
    PointsEntryFactory(member=member, occurred_at=datetime(2025, 12, 1, 0, 0, tzinfo=JAPAN), points=100)
    page = text(member_client.get("/points/"))
    assert "+100 P" in page and "+7 P" not in page and "107 ポイント" in page


def test_an_empty_ledger_says_so(member_client):
    page = text(member_client.get("/points/"))
    assert "0 ポイント" in page and "この期間のポイントの履歴はありません。" in page


def test_pages_follow_each_other_in_a_fixed_number_of_queries(
    member_client, member, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(selectors, "POINTS_PAGE", 4)
    same_time = NOW - timedelta(days=2)
    for points in range(1, 11):  # ten lines, three of them at one time: the id decides
        at = same_time if points <= 3 else NOW - timedelta(days=points, hours=1)
        PointsEntryFactory(member=member, occurred_at=at, points=points)
    seen, url, pages = [], "/points/", 0
    while url:
        pages += 1
        with django_assert_max_num_queries(8):
            response = member_client.get(url)
        context = response.context
        seen += [entry.points for entry in context["entries"]]
        url = f"/points/?after={context['next_after']}" if context["next_after"] else ""
        if url:
            assert "次の4件" in text(response)
    assert seen == [3, 2, 1, *range(4, 11)], "newest first, the later id first at one time"
    assert pages == 3


@pytest.mark.parametrize(
    "after", ["x", "1-", "-1", "99999999999999999999999-1", "1-99999999999999999999999", "１２-3", "12-3-4"]
)
def test_an_unreadable_page_link_shows_the_newest_with_a_message(member_client, member, after):
    PointsEntryFactory(member=member, points=5)
    response = member_client.get("/points/", {"after": after})
    page = text(response)
    assert response.status_code == 200 and "+5 P" in page
    assert "ページの指定を読み取れなかったため、最新の履歴から表示しています。" in page


def test_a_visitor_is_sent_to_sign_in(client):
    response = client.get("/points/")
    assert response.status_code == 302 and response["Location"].startswith(settings.LOGIN_URL)


def test_the_home_page_links_to_the_ledger(member_client):
    assert 'href="/points/"' in member_client.get("/").content.decode()


def test_in_english(member_client, member):
    PointsEntryFactory(member=member, points=-500, kind=PointsKind.CHARGE)
    member_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = text(member_client.get("/points/"))
    assert "Points balance" in page and "−500 P" in page and "Points history (newest first)" in page


def test_the_help_says_how_points_are_earned_and_the_ledger_links_to_it(client, member_client):
    """DOMAIN.md: J-WEST card charges and pass purchases earn 3 times the basic rate: Gold 3 %
    (30 points per ¥1,000 incl. tax), other J-WEST cards 1.5 % (15 per ¥1,000)."""
    page = text(client.get("/help/"))
    assert "基本の3倍" in page and "3%（税込1,000円につき30ポイント）" in page
    assert "1.5%（税込1,000円につき15ポイント）" in page and "ひと月分をまとめて" in page
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = text(client.get("/help/"))
    assert "3% with a J-WEST Card Gold (30 points per ¥1,000 including tax)" in english
    assert "1.5% with other J-WEST cards (15 points per ¥1,000)" in english
    assert 'href="/help/#points"' in member_client.get("/points/").content.decode()


CATEGORY_WORDS = {
    "ride_count": ("乗車ポイント", "Ride points"),
    "expiry": ("有効期限切れ", "Expired"),
    "icoca_charge": ("ICOCAへのチャージ", "ICOCA charge"),
    "jwest_card": ("J-WESTカードでのお支払い", "Paid with a J-WEST card"),
    "pass_payment": ("定期券のご購入", "Commuter pass purchase"),
    "campaign": ("キャンペーン", "Campaign"),
    "mystery_2027": ("その他", "Other"),
}


@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_category_is_a_word_never_the_code(member_client, member, language):
    for days, category in enumerate(CATEGORY_WORDS, start=1):
        PointsEntryFactory(member=member, occurred_at=NOW - timedelta(days=days), points=days, category=category)
    member_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = text(member_client.get("/points/"))
    for category, words in CATEGORY_WORDS.items():
        word = words[0] if language == "ja" else words[1]
        assert word in page, (category, word)
        assert category not in page


def _lines_html(response) -> str:
    html = response.content.decode()
    return html[html.index('<ol class="lines">') : html.index("</ol>")]


def test_a_ledger_line_as_the_page_shows_it_in_japanese_and_english(member_client, member):
    """The lines are written by cards.points_rendering, the words and formats made once per
    language: the same markup as the template's filters gave, time, kind, category and figure."""
    PointsEntryFactory(member=member, occurred_at=datetime(2026, 12, 10, 8, 5, tzinfo=JAPAN), points=128)
    PointsEntryFactory(member=member, occurred_at=datetime(2026, 12, 9, 23, 59, tzinfo=JAPAN),
                       kind=PointsKind.CHARGE, points=-1500, category="")
    PointsEntryFactory(member=member, occurred_at=datetime(2026, 12, 1, 0, 0, tzinfo=JAPAN),
                       kind=PointsKind.ADJUST, points=3, category="a_new_code")

    expected = {
        "ja": [
            ("2026-12-10T08:05:00+09:00", "2026/12/10 08:05", "earn", "獲得", "乗車ポイント", " num--plus", "+128 P"),
            ("2026-12-09T23:59:00+09:00", "2026/12/9 23:59", "charge", "チャージに利用", "", "", "−1,500 P"),
            ("2026-12-01T00:00:00+09:00", "2026/12/1 00:00", "adjust", "調整", "その他", " num--plus", "+3 P"),
        ],
        "en": [
            ("2026-12-10T08:05:00+09:00", "10 Dec 2026 08:05", "earn", "Earned", "Ride points", " num--plus", "+128 P"),
            ("2026-12-09T23:59:00+09:00", "9 Dec 2026 23:59", "charge", "Used for charge", "", "", "−1,500 P"),
            ("2026-12-01T00:00:00+09:00", "1 Dec 2026 00:00", "adjust", "Adjustment", "Other", " num--plus", "+3 P"),
        ],
    }
    word = {"ja": "ポイント", "en": "Points"}
    detail = '<span class="line__detail">%s</span>'
    for language, lines in expected.items():
        member_client.cookies["django_language"] = language
        html = _lines_html(member_client.get("/points/"))
        shown = [
            (
                '<li class="line line--points">\n'
                f'        <span class="line__when"><time datetime="{iso}">{when}</time></span>\n'
                f'        <span class="line__kind"><span class="kind kind--points-{kind}">{label}</span></span>\n'
                f'        <span class="line__what">{detail % what if what else ""}</span>\n'
                f'        <span class="line__amount num{plus}"><span class="vh">{word[language]} </span>{figure}</span>\n'
                "      </li>"
            )
            for iso, when, kind, label, what, plus, figure in lines
        ]
        assert html == '<ol class="lines">\n      \n      ' + "\n      \n      ".join(shown) + "\n      \n    "


def test_the_points_page_takes_three_queries(member_client, member, django_assert_num_queries):
    """The member, the page of the ledger and the balance, however many lines."""
    for days in range(1, 30):
        PointsEntryFactory(member=member, occurred_at=NOW - timedelta(days=days))
    member_client.get("/points/")
    with django_assert_num_queries(3):
        assert member_client.get("/points/").status_code == 200
