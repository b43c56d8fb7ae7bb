"""The card-name rule (cards/nicknames.py), without Django or a database."""

from __future__ import annotations

import pytest

from cards.nicknames import MAX_LENGTH, InvalidNickname, nickname_clean


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("仕事用", "仕事用"),
        ("買い物用", "買い物用"),
        ("Work", "Work"),
        ("通勤 ICOCA", "通勤 ICOCA"),  # a space inside is kept
        ("  仕事用  ", "仕事用"),
        ("\u3000\u3000仕事用\u3000", "仕事用"),  # full-width spaces trimmed
        ("\t仕事用\n", "仕事用"),  # a tab or newline at either end is whitespace, trimmed
        ("\u00a0仕事用\u2003", "仕事用"),  # no-break and em spaces too
        ("仕事\u3000用", "仕事\u3000用"),  # a full-width space inside is kept
        ("漢" * 20, "漢" * 20),  # 20 kanji: the limit
        ("a" * 20, "a" * 20),
        (" " + "漢" * 20 + " ", "漢" * 20),  # counted after trimming
        ("ｼｺﾞﾄﾖｳ", "ｼｺﾞﾄﾖｳ"),  # half-width katakana is kept as typed
        ("ＩＣＯＣＡ１", "ＩＣＯＣＡ１"),  # full-width letters too
        ("Картка", "Картка"),  # any script
        ("카드", "카드"),
        ("بطاقة", "بطاقة"),
        ("बटुआ", "बटुआ"),  # combining vowel signs after their base are fine
        ("か\u3099いしゃ", "がいしゃ"),  # combining dakuten composes (NFC)
        ("Cafe\u0301", "Café"),
        ("e\u0301" * 20, "é" * 20),  # 40 code points typed, 20 characters after NFC
        ("★仕事用", "★仕事用"),  # text symbols are not emoji
        ("大阪⇔三ノ宮", "大阪⇔三ノ宮"),
        ("大阪↔京都", "大阪↔京都"),  # ↔ is text unless U+FE0F asks for the emoji
        ("Shop©", "Shop©"),
        ("㊗入社", "㊗入社"),
        ("♪メモ", "♪メモ"),
        ("☺\ufe0e", "☺\ufe0e"),  # text presentation asked for explicitly
        ("葛\U000e0100飾", "葛\U000e0100飾"),  # an ideographic variation sequence (IVS) in a name
        ("仕事用-2", "仕事用-2"),
        ("1", "1"),
    ],
)
def test_names_that_are_kept(raw, stored):
    assert nickname_clean(raw) == stored


def test_cleaning_twice_changes_nothing():
    for raw in ("  仕事用  ", "か\u3099いしゃ", "Cafe\u0301 ", "\u3000漢\u3000"):
        once = nickname_clean(raw)
        assert nickname_clean(once) == once


@pytest.mark.parametrize("raw", ["", "   ", "\u3000\u3000", "\t\n", None, "\u00a0\u2003"])
def test_an_empty_name_is_refused(raw):
    with pytest.raises(InvalidNickname) as error:
        nickname_clean(raw)
    assert error.value.code == "empty"
    assert str(error.value) == "ICOCAの名前を入力してください。"


@pytest.mark.parametrize("raw", ["漢" * 21, "a" * 21, "仕事用" * 7 + "x", "e\u0301" * 21, "ab" * 50])
def test_a_name_over_20_characters_is_refused_with_its_length(raw):
    with pytest.raises(InvalidNickname) as error:
        nickname_clean(raw)
    assert error.value.code == "too_long"
    assert error.value.params["limit"] == MAX_LENGTH
    assert f"{error.value.params['length']}文字です" in str(error.value)
    assert "20文字以内" in str(error.value)


def test_the_length_in_the_message_is_what_was_counted():
    with pytest.raises(InvalidNickname) as error:
        nickname_clean("\u3000" + "漢" * 21 + "\u3000")
    assert str(error.value) == "ICOCAの名前は20文字以内にしてください（入力された名前は21文字です）。"


@pytest.mark.parametrize(
    "raw",
    [
        "仕事🚃",  # a plain emoji
        "😀",
        "🙂通勤",
        "⭐",  # emoji presentation in the BMP
        "⌚時計",
        "⚡",
        "✅",
        "❤\ufe0f",  # a text heart made an emoji by VS-16
        "☺\ufe0f",
        "↔\ufe0f",
        "\ufe0f",  # a stray VS-16
        "1\ufe0f\u20e3",  # keycap 1️⃣
        "#\ufe0f\u20e3",  # keycap #️⃣
        "#\u20e3",  # keycap without VS-16
        "🇯🇵",  # regional-indicator flag
        "🇯",  # a lone regional indicator
        "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",  # England: tag sequence
        "👨\u200d👩\u200d👧",  # ZWJ family
        "🏳\ufe0f\u200d🌈",  # rainbow flag: VS-16 then ZWJ
        "👍🏽",  # skin tone modifier
        "🏽",  # a lone skin tone
        "🀄",  # mahjong tile (pictograph plane)
        "🈁",  # enclosed ideograph supplement, drawn as emoji
        "🅰",
        "🫠",  # Unicode 14 emoji
        "🫨",  # Unicode 15: unassigned in older Python databases, still an emoji
        "仕事用😀",
        "😀" * 30,  # emoji and too long: emoji is the clearer message
    ],
)
def test_emoji_are_refused(raw):
    with pytest.raises(InvalidNickname) as error:
        nickname_clean(raw)
    assert error.value.code == "emoji"
    assert "絵文字は使えません" in str(error.value)


@pytest.mark.parametrize(
    "raw",
    [
        "仕事\n用",  # newline inside
        "仕事\r\n用",
        "仕事\t用",
        "仕\x00事",  # NUL
        "\x07bell",
        "del\x7f",
        "c1\x85x",  # NEL inside
        "c1\x9bx",  # CSI
        "仕事\u2028用",  # line separator
        "仕事\u2029用",  # paragraph separator
        "仕事\u200b用",  # zero-width space
        "\u200b",
        "仕事\u200d用",  # a joiner between letters
        "\u202egnp.exe",  # right-to-left override
        "abc\u2066x",  # isolate
        "\ufeff仕事",  # BOM (not whitespace, so not trimmed)
        "仕事\ue000",  # private use
        "\U000f0000",  # supplementary private use
        "\u0378x",  # unassigned
        "\u0301abc",  # a combining mark with nothing before it
        "\u3099か",
        "\ufe0eabc",  # a text variation selector with no base
        "\U000e0001tag",  # LANGUAGE TAG, deprecated format character
        "\U000e0067\U000e0062",  # tag letters without a flag
    ],
)
def test_control_and_invisible_characters_are_refused(raw):
    with pytest.raises(InvalidNickname) as error:
        nickname_clean(raw)
    assert error.value.code == "control"
    assert str(error.value) == "ICOCAの名前に改行・タブや見えない特殊な文字は使えません。"
