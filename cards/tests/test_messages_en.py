"""Every refusal a member can read from a cards service is translatable: raised on a
Japanese page or in a worker, it reads in English where an English page shows it."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.utils import translation

from accounts.tests.factories import MemberFactory
from cards.exceptions import CardNotFound, NoCardToSuspend
from cards.nicknames import InvalidNickname, nickname_clean
from cards.services import card_rename, lost_device_report
from cards.tests.factories import CardFactory
from cards.window import OutsideWindow, check_in_window

JAPANESE = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff9f]")


def raised(call) -> Exception:
    with translation.override("ja"), pytest.raises(Exception) as caught:
        call()
    return caught.value


def refusals() -> list[Exception]:
    member, other = MemberFactory(), MemberFactory()
    card = CardFactory(member=other)
    return [
        raised(lambda: check_in_window(date(2025, 10, 31), date(2026, 11, 25))),
        raised(lambda: card_rename(member=member, card=card, nickname="仕事用")),
        raised(lambda: lost_device_report(member=member, device="pager")),
        raised(lambda: lost_device_report(member=member, device="android")),
        raised(lambda: nickname_clean("")),
        raised(lambda: nickname_clean("あ" * 21)),
        raised(lambda: nickname_clean("通勤🚃")),
        raised(lambda: nickname_clean("仕事\n用")),
    ]


@pytest.mark.django_db
def test_each_refusal_reads_in_english_on_an_english_page():
    errors = refusals()
    assert [type(error) for error in errors] == [
        OutsideWindow, CardNotFound, NoCardToSuspend, NoCardToSuspend, *[InvalidNickname] * 4,
    ]
    for error in errors:
        with translation.override("en"):
            message = str(error)
        assert message and not JAPANESE.search(message), message
        with translation.override("ja"):
            assert JAPANESE.search(str(error)), type(error)


@pytest.mark.django_db
def test_the_window_refusal_names_the_first_day_in_each_language():
    error = raised(lambda: check_in_window(date(2025, 10, 31), date(2026, 11, 25)))
    with translation.override("ja"):
        assert str(error) == "2025年11月1日より前の期間は指定できません（指定できるのは2025年11月1日以降です）。"
    with translation.override("en"):
        assert str(error) == "Nothing before 2025/11/1 can be shown or printed: choose 2025/11/1 or later."


@pytest.mark.django_db
def test_the_lost_device_refusal_names_the_device_in_the_language_shown():
    member = MemberFactory()
    error = raised(lambda: lost_device_report(member=member, device="android"))
    with translation.override("en"):
        assert "Android" in str(error)
