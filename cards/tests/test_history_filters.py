"""利用履歴: the query parameters, the document window (time frozen in
Japan time at month and year ends) and whose cards a member may ask for."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from html import unescape

import pytest
import time_machine
from django.urls import reverse

from accounts.tests.factories import MemberFactory
from cards.models import CardStatus
from cards.tests.factories import CardFactory, UsageRecordFactory

pytestmark = pytest.mark.django_db

JST = timezone(timedelta(hours=9))
HISTORY = reverse("cards:history")
EXPORT = reverse("cards:history-export")


@pytest.fixture
def card():
    return CardFactory(nickname="仕事用")


@pytest.fixture
def member_client(client, card):
    client.force_login(card.member)
    return client


@contextmanager
def travel(member_client, card, now):
    """Freeze time at ``now`` and sign in again: a session from before a
    jump in time has ended (sessions last at most 12 hours)."""
    with time_machine.travel(now, tick=False):
        member_client.force_login(card.member)
        yield member_client


def text(response) -> str:
    return unescape(response.content.decode())


def test_the_urls_members_bookmark():
    assert HISTORY == "/history/"
    assert EXPORT == "/history/export.csv"


@pytest.mark.parametrize("url", [HISTORY, EXPORT])
def test_signed_out_visitors_are_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/?next=")


# --- The document window ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "earliest_shown", "last_refused", "first_allowed"),
    [
        # New Year's Eve, late evening in Japan: the window still starts on 2025-12-01.
        (datetime(2026, 12, 31, 23, 30, tzinfo=JST), "2025年12月1日", "2025-11", "2025-12"),
        # Ten past midnight on New Year's Day in Japan (still 2026-12-31 in UTC): 2026-01-01.
        (datetime(2027, 1, 1, 0, 10, tzinfo=JST), "2026年1月1日", "2025-12", "2026-01"),
        # Last minute of November in Japan, and the first of December (still Nov 30 in UTC).
        (datetime(2026, 11, 30, 23, 59, tzinfo=JST), "2025年11月1日", "2025-10", "2025-11"),
        (datetime(2026, 12, 1, 0, 0, tzinfo=JST), "2025年12月1日", "2025-11", "2025-12"),
    ],
)
def test_a_month_before_the_window_is_refused_naming_the_earliest_date(
    member_client, card, now, earliest_shown, last_refused, first_allowed
):
    with travel(member_client, card, now):
        refused = member_client.get(HISTORY, {"month": last_refused})
        allowed = member_client.get(HISTORY, {"month": first_allowed})
        csv_refused = member_client.get(EXPORT, {"month": last_refused})

    assert refused.status_code == 400
    message = f"{earliest_shown}より前の期間は指定できません（指定できるのは{earliest_shown}以降です）。"
    assert message in text(refused)
    assert 'role="alert"' in text(refused)
    assert '<ol class="lines">' not in text(refused)  # refused, not silently shortened
    assert allowed.status_code == 200
    assert message not in text(allowed)
    assert csv_refused.status_code == 400
    assert message in text(csv_refused)
    assert csv_refused["Content-Type"].startswith("text/html")


def test_a_start_date_one_day_before_the_window_is_refused(member_client, card):
    with travel(member_client, card, datetime(2027, 1, 1, 0, 10, tzinfo=JST)):
        refused = member_client.get(HISTORY, {"from": "2025-12-31"})
        allowed = member_client.get(HISTORY, {"from": "2026-01-01"})
        only_end = member_client.get(HISTORY, {"to": "2025-12-31"})

    assert refused.status_code == 400
    assert "2026年1月1日より前の期間は指定できません" in text(refused)
    assert allowed.status_code == 200
    assert only_end.status_code == 400
    assert "2026年1月1日より前の期間は指定できません" in text(only_end)


def test_without_a_period_the_history_starts_at_the_window_in_japan_time(member_client, card):
    # 2025-11-30 23:59 and 2025-12-01 00:00 in Japan, on each side of the window's start.
    UsageRecordFactory(card=card, occurred_at=datetime(2025, 11, 30, 14, 59, tzinfo=UTC), from_station="尼崎")
    UsageRecordFactory(card=card, occurred_at=datetime(2025, 11, 30, 15, 0, tzinfo=UTC), from_station="高槻")

    with travel(member_client, card, datetime(2026, 12, 1, 0, 10, tzinfo=JST)):
        page = text(member_client.get(HISTORY))
    with travel(member_client, card, datetime(2026, 11, 30, 23, 50, tzinfo=JST)):
        day_before = text(member_client.get(HISTORY))

    assert "高槻 → 京都" in page
    assert "尼崎 → 京都" not in page
    assert "2025年12月1日以降の履歴" in page
    assert "尼崎 → 京都" in day_before


def test_a_month_is_the_japan_month(member_client, card):
    UsageRecordFactory(card=card, occurred_at=datetime(2026, 10, 31, 14, 59, tzinfo=UTC), from_station="尼崎")  # Oct 31 23:59 JST
    UsageRecordFactory(card=card, occurred_at=datetime(2026, 10, 31, 15, 0, tzinfo=UTC), from_station="高槻")  # Nov 1 00:00 JST
    UsageRecordFactory(card=card, occurred_at=datetime(2026, 11, 30, 15, 0, tzinfo=UTC), from_station="奈良")  # Dec 1 00:00 JST

    with travel(member_client, card, datetime(2026, 12, 5, 12, 0, tzinfo=JST)):
        november = text(member_client.get(HISTORY, {"month": "2026-11"}))
        dates = text(member_client.get(HISTORY, {"from": "2026-11-01", "to": "2026-11-30"}))

    for page in (november, dates):
        assert "高槻 → 京都" in page
        assert "尼崎 → 京都" not in page
        assert "奈良 → 京都" not in page


# --- Parameters a person can get wrong ---------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"month": "2026-13"}, "月は2026-11のように、年-月の形で指定してください。"),
        ({"month": "2026-1"}, "月は2026-11のように、年-月の形で指定してください。"),
        ({"month": "november"}, "月は2026-11のように、年-月の形で指定してください。"),
        ({"from": "2026/11/01"}, "日付は2026-11-20のように、年-月-日の形で指定してください。"),
        ({"to": "2026-02-30"}, "日付は2026-11-20のように、年-月-日の形で指定してください。"),
        ({"from": "2026-11-10", "to": "2026-11-09"}, "終了日は開始日と同じか、それより後の日付を指定してください。"),
        ({"kind": "taxi"}, "種別「taxi」はありません。一覧から選んでください。"),
        ({"month": "2026-11", "from": "2026-11-01"}, "「月」と「開始日・終了日」は、どちらか一方だけを指定してください。"),
    ],
)
def test_bad_parameters_get_a_clear_message(member_client, card, params, message):
    with travel(member_client, card, datetime(2026, 11, 25, 12, 0, tzinfo=JST)):
        response = member_client.get(HISTORY, params)
        export = member_client.get(EXPORT, params)

    assert response.status_code == 400
    assert message in text(response)
    assert 'aria-invalid="true"' in text(response) or "どちらか一方" in message
    assert export.status_code == 400
    assert message in text(export)


def test_an_unknown_kind_is_shown_escaped(member_client):
    response = member_client.get(HISTORY, {"kind": "<script>alert(1)</script>"})
    assert response.status_code == 400
    assert "<script>alert(1)</script>" not in response.content.decode()


@pytest.mark.parametrize(("kind", "label"), [("ride", "乗車"), ("乗車", "乗車"), ("pass", "定期券"), ("払いもどし", "払いもどし")])
def test_kinds_by_code_or_by_their_japanese_name(member_client, kind, label):
    response = member_client.get(HISTORY, {"kind": kind})
    assert response.status_code == 200
    assert f'<span class="filters__applied">{label}</span>' in text(response)


def test_empty_parameters_from_the_form_mean_no_filter(member_client, card):
    UsageRecordFactory(card=card)
    response = member_client.get(HISTORY, {"card": "", "month": "", "from": "", "to": "", "kind": ""})
    assert response.status_code == 200
    assert "大阪 → 京都" in text(response)


# --- Whose cards --------------------------------------------------------------------------


@pytest.mark.parametrize("url", [HISTORY, EXPORT])
def test_another_members_card_is_not_found(member_client, url):
    someone_else = CardFactory(member=MemberFactory())
    UsageRecordFactory(card=someone_else, from_station="奈良")

    assert member_client.get(url, {"card": str(someone_else.public_id)}).status_code == 404
    assert member_client.get(url, {"card": "not-a-card"}).status_code == 404


def test_a_member_sees_only_their_own_history(member_client, card):
    UsageRecordFactory(card=card, from_station="高槻")
    UsageRecordFactory(card=CardFactory(member=MemberFactory()), from_station="奈良")

    page = text(member_client.get(HISTORY))

    assert "高槻 → 京都" in page
    assert "奈良" not in page


def test_one_card_or_all_cards(member_client, card):
    other = CardFactory(member=card.member, nickname="買い物用")
    UsageRecordFactory(card=card, from_station="高槻")
    UsageRecordFactory(card=other, from_station="奈良")

    everything = text(member_client.get(HISTORY))
    one = text(member_client.get(HISTORY, {"card": str(other.public_id)}))

    assert "高槻 → 京都" in everything and "奈良 → 京都" in everything
    assert "奈良 → 京都" in one and "高槻 → 京都" not in one
    assert f'<option value="{other.public_id}" selected>買い物用（{other.masked_number}）</option>' in one


def test_a_reissued_card_reads_as_one_history_with_its_replacement(member_client, card):
    card.status = CardStatus.REISSUED
    card.save()
    replacement = CardFactory(member=card.member, nickname="仕事用", replaces=card)
    newest = CardFactory(member=card.member, nickname="仕事用", replaces=replacement)
    UsageRecordFactory(card=card, from_station="尼崎", occurred_at=datetime(2026, 9, 1, tzinfo=UTC))
    UsageRecordFactory(card=replacement, from_station="高槻", occurred_at=datetime(2026, 10, 1, tzinfo=UTC))
    UsageRecordFactory(card=newest, from_station="奈良", occurred_at=datetime(2026, 11, 1, tzinfo=UTC))
    UsageRecordFactory(card=CardFactory(member=card.member), from_station="京橋")

    with travel(member_client, card, datetime(2026, 11, 25, 12, 0, tzinfo=JST)):
        by_newest = text(member_client.get(HISTORY, {"card": str(newest.public_id)}))
        by_oldest = member_client.get(HISTORY, {"card": str(card.public_id)})

    for page in (by_newest, text(by_oldest)):
        assert page.index("奈良 → 京都") < page.index("高槻 → 京都") < page.index("尼崎 → 京都")
        assert "京橋" not in page
        assert card.masked_number in page and newest.masked_number in page
    # The card list offers the newest card of the chain only, and says the old ones are in it.
    assert f'<option value="{newest.public_id}" selected>仕事用（{newest.masked_number}）・再発行前を含む</option>' in text(by_oldest)
    assert f'value="{card.public_id}"' not in text(by_oldest)
