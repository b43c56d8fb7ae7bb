"""The pure rules: holder name, expiry, the masked label (no database)."""

from datetime import date

import pytest

from billing.payment_methods.payment_cards import (
    expires_on,
    expires_within,
    holder_name_matches,
    is_expired,
    masked_label,
    romaji_name,
)

HANAKO = {"given_name": "HANAKO", "family_name": "YAMADA"}


@pytest.mark.parametrize(
    "holder",
    [
        "HANAKO YAMADA",
        "YAMADA HANAKO",
        "hanako yamada",
        "Yamada Hanako",
        "  HANAKO   YAMADA ",
        "HANAKOYAMADA",
        "YAMADA　HANAKO",  # an ideographic space
        "ＨＡＮＡＫＯ ＹＡＭＡＤＡ",  # full-width letters
        "Ha Na Ko Ya Ma Da",
    ],
)
def test_the_members_own_name_matches_in_any_case_spacing_and_order(holder):
    assert holder_name_matches(holder, **HANAKO)


@pytest.mark.parametrize(
    "holder", ["", "HANAKO", "YAMADA", "TARO YAMADA", "HANAKO YAMADA JR", "HANAKO YAMADAA", "KO YAMADAHANA", "山田 花子"]
)
def test_another_name_does_not_match(holder):
    assert not holder_name_matches(holder, **HANAKO)


def test_without_romaji_claims_a_latin_full_name_is_used_in_either_order():
    assert holder_name_matches("EMILY CARTER", given_name="", family_name="", full_name="Emily Carter")
    assert holder_name_matches("carter emily", given_name="", family_name="", full_name="Emily Carter")
    assert not holder_name_matches("EMILY CARTER", given_name="", family_name="", full_name="山田 花子")
    assert not holder_name_matches("EMILY CARTER", given_name="", family_name="", full_name="")


def test_romaji_name_for_the_messages():
    assert romaji_name(**HANAKO) == "HANAKO YAMADA"
    assert romaji_name(given_name="", family_name="", full_name="Emily Carter") == "EMILY CARTER"
    assert romaji_name(given_name="", family_name="", full_name="山田 花子") == ""


def test_a_card_is_valid_through_the_last_day_of_its_month():
    assert expires_on(2, 2028) == date(2028, 2, 29)
    assert expires_on(12, 2026) == date(2026, 12, 31)
    assert not is_expired(11, 2026, today=date(2026, 11, 30))
    assert is_expired(11, 2026, today=date(2026, 12, 1))


def test_expiring_within_sixty_days():
    today = date(2026, 11, 26)
    assert expires_within(11, 2026, today=today)
    assert expires_within(12, 2026, today=today)  # 2026-12-31: 35 days
    assert not expires_within(1, 2027, today=today)  # 2027-01-31: 66 days
    assert not expires_within(3, 2027, today=today)
    assert not expires_within(10, 2026, today=today)  # already expired


def test_masked_label():
    assert masked_label("VISA", "4242") == "VISA ••••4242"
