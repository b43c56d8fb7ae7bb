"""The rule for a card's name (ICOCAの名前), DOMAIN.md "Cards".

1 to 20 characters of any script, trimmed; emoji and control characters are
refused with a message that says which rule was broken.

- The name is normalised to NFC first, so "か" + a combining dakuten is the one
  character "が", and counted in code points after that (the column holds 20).
- Whitespace at either end is trimmed, full-width spaces (U+3000) included;
  spaces inside the name are kept.
- Emoji: anything drawn as an emoji by default (🚃, ⭐, ⌚), any emoji sequence
  part (the emoji variation selector U+FE0F, the keycap U+20E3, skin tones,
  regional-indicator flags, tag flags, a joiner between emoji) and everything in
  the pictograph planes U+1F000–U+1FAFF. Symbols that are text by default (★,
  ©, ™, ↔, ㊗) are allowed unless U+FE0F asks for the emoji form, which is what
  a phone's emoji keyboard types.
- Control and other special characters: C0/C1 controls (newline, tab, NUL),
  line and paragraph separators, invisible format characters (zero-width
  space, joiners, bidi overrides), private-use and unassigned code points, and
  a combining mark with nothing to combine with at the start.

Pure Python, no Django: the view and the service both call
:func:`nickname_clean`, and it is tested without a database. The messages are
Japanese msgids (marked with :func:`gettext_noop`) that the Django side
translates.
"""

from __future__ import annotations

import unicodedata

from accounts.exceptions import PortalError

MAX_LENGTH = 20


def gettext_noop(message: str) -> str:
    """Marks a msgid for makemessages; translated where it is shown."""
    return message


MESSAGE_EMPTY = gettext_noop("ICOCAの名前を入力してください。")
MESSAGE_TOO_LONG = gettext_noop(
    "ICOCAの名前は%(limit)d文字以内にしてください（入力された名前は%(length)d文字です）。"
)
MESSAGE_EMOJI = gettext_noop("ICOCAの名前に絵文字は使えません。文字と記号で入力してください。")
MESSAGE_CONTROL = gettext_noop("ICOCAの名前に改行・タブや見えない特殊な文字は使えません。")


class InvalidNickname(PortalError):
    """The name breaks a rule. ``code`` is one of ``empty``, ``too_long``,
    ``emoji``, ``control``; ``message`` is the Japanese msgid and ``params``
    its values (``message % params`` is what a person reads)."""

    def __init__(self, code: str, message: str, params: dict[str, int] | None = None) -> None:
        self.code = code
        self.message = message
        self.params = params or {}
        super().__init__(message)

    def __str__(self) -> str:
        """The message in the language active when it is shown."""
        from django.utils.translation import gettext

        text = gettext(self.message)
        return text % self.params if self.params else text


# Code points drawn as emoji by default in the Basic Multilingual Plane
# (Emoji_Presentation=Yes, Unicode 15.1 emoji-data.txt). Everything drawn as
# emoji outside the BMP lies in the pictograph planes, refused as a whole.
_BMP_EMOJI_PRESENTATION: tuple[tuple[int, int], ...] = (
    (0x231A, 0x231B), (0x23E9, 0x23EC), (0x23F0, 0x23F0), (0x23F3, 0x23F3),
    (0x25FD, 0x25FE), (0x2614, 0x2615), (0x2648, 0x2653), (0x267F, 0x267F),
    (0x2693, 0x2693), (0x26A1, 0x26A1), (0x26AA, 0x26AB), (0x26BD, 0x26BE),
    (0x26C4, 0x26C5), (0x26CE, 0x26CE), (0x26D4, 0x26D4), (0x26EA, 0x26EA),
    (0x26F2, 0x26F3), (0x26F5, 0x26F5), (0x26FA, 0x26FA), (0x26FD, 0x26FD),
    (0x2705, 0x2705), (0x270A, 0x270B), (0x2728, 0x2728), (0x274C, 0x274C),
    (0x274E, 0x274E), (0x2753, 0x2755), (0x2757, 0x2757), (0x2795, 0x2797),
    (0x27B0, 0x27B0), (0x27BF, 0x27BF), (0x2B1B, 0x2B1C), (0x2B50, 0x2B50),
    (0x2B55, 0x2B55),
)
_PICTOGRAPH_PLANES: tuple[tuple[int, int], ...] = (
    (0x1F000, 0x1FAFF),  # mahjong … emoticons, transport, supplemental pictographs, flags, skin tones
    (0x1FC00, 0x1FFFD),  # reserved for future pictographs
)
_EMOJI_SEQUENCE_PARTS = frozenset(
    {
        0xFE0F,  # VARIATION SELECTOR-16: "show the emoji form"
        0x20E3,  # COMBINING ENCLOSING KEYCAP: 1️⃣ #️⃣
        0x200D,  # ZERO WIDTH JOINER, between emoji (👨‍👩‍👧); alone it is a control
    }
)
_TAGS = range(0xE0020, 0xE0080)  # 🏴 + tags + cancel tag: subdivision flags
_CONTROL_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def _in_ranges(code: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(low <= code <= high for low, high in ranges)


def _is_emoji_base(code: int) -> bool:
    return _in_ranges(code, _BMP_EMOJI_PRESENTATION) or _in_ranges(code, _PICTOGRAPH_PLANES)


def _follows_black_flag(codes: list[int], index: int) -> bool:
    """Whether the tag at ``index`` belongs to a 🏴 tag sequence (a subdivision flag)."""
    while index > 0 and codes[index - 1] in _TAGS:
        index -= 1
    return index > 0 and codes[index - 1] == 0x1F3F4


def _joins_emoji(before: int, after: int) -> bool:
    return _is_emoji_base(before) or before == 0xFE0F or _is_emoji_base(after)


def _has_emoji(name: str) -> bool:
    codes = [ord(char) for char in name]
    for index, code in enumerate(codes):
        if _is_emoji_base(code) or code in (0xFE0F, 0x20E3):
            return True
        if code in _TAGS and _follows_black_flag(codes, index):
            return True
        # A joiner between two emoji parts; a joiner between letters is a control.
        if code == 0x200D and 0 < index < len(codes) - 1 and _joins_emoji(codes[index - 1], codes[index + 1]):
            return True
    return False


def _has_control(name: str) -> bool:
    if unicodedata.category(name[0]).startswith("M"):
        return True  # a combining mark (or variation selector) with no base character
    return any(unicodedata.category(char) in _CONTROL_CATEGORIES for char in name)


def nickname_clean(raw: str | None) -> str:
    """The name to store for ``raw``, or :class:`InvalidNickname`."""
    name = unicodedata.normalize("NFC", raw or "").strip()
    if not name:
        raise InvalidNickname("empty", MESSAGE_EMPTY)
    if _has_emoji(name):
        raise InvalidNickname("emoji", MESSAGE_EMOJI)
    if _has_control(name):
        raise InvalidNickname("control", MESSAGE_CONTROL)
    if len(name) > MAX_LENGTH:
        raise InvalidNickname("too_long", MESSAGE_TOO_LONG, {"limit": MAX_LENGTH, "length": len(name)})
    return name
