"""Structured logs: one JSON object per line, with the request id, and
nothing that looks like a card number, an ICOCA number or a secret.

What is masked, and only that (so that task ids, durations and other numbers stay
readable):

- a payment card number: digits (spaces or dashes allowed between groups) with a card
  number's length and a valid Luhn check digit, standing alone: not part of a word, a
  uuid or a decimal number (``0.1234567890123456s``);
- an ICOCA number: ``JW`` and 15 or more of ``0-9A-Z``, wherever it stands, masked to its
  last four characters as support sees it (``JW•••••••••••0001``);
- the value after a secret's name (``password=``, ``"token": ...``).
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
from datetime import UTC, datetime

from cards.masking import mask_icoca_number
from portal.card_numbers import CARD_NUMBER_LENGTHS, looks_like_card_number

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)

# A whole run of digits, maybe grouped by spaces or dashes: not inside a word or a uuid (hex
# groups joined by dashes), not a decimal number's, and never a part of a longer run.
_DIGIT_RUN = re.compile(r"(?<![\w.])(?<!\d[ \-])\d(?:[ \-]?\d)*+(?!\w)(?!\.\d)")
_SEPARATOR = re.compile(r"([ \-])")
_CARD_NUMBER_REMOVED = "[card number removed]"
_ICOCA = re.compile(r"JW[0-9A-Z]{15,}+")
_SECRET = re.compile(
    r"(?i)\b(password|passwd|secret|token|code_verifier|client_secret|cvc|cvv|"
    r"security_code|authorization)\b(\"?\s*[:=]\s*\"?)([^\s\"&,]+)"
)


def _card_numbers(match: re.Match[str]) -> str:
    """The run with every card number in it removed. Its groups of digits
    (``2026-11-20 4100 0000 0000 0100``) are tried in every consecutive stretch, and every
    group of a stretch that is a card number is removed: where stretches overlap, more is
    removed rather than a part of a number left."""
    parts = _SEPARATOR.split(match[0])  # group, separator, group, ...
    groups = parts[0::2]
    covered = [False] * len(groups)
    longest = max(CARD_NUMBER_LENGTHS)
    for start in range(len(groups)):
        digits = ""
        for end in range(start, len(groups)):
            digits += groups[end]
            if len(digits) > longest:
                break
            if looks_like_card_number(digits):
                covered[start : end + 1] = [True] * (end + 1 - start)
    if not any(covered):
        return match[0]
    out = []
    for index, group in enumerate(groups):
        if not covered[index]:
            out.append(group)
        elif index == 0 or not covered[index - 1]:
            out.append(_CARD_NUMBER_REMOVED)
        if index + 1 < len(groups) and not (covered[index] and covered[index + 1]):
            out.append(parts[2 * index + 1])
    return "".join(out)


# What each of the three needs: a digit (a card number), "JW" (an ICOCA number), ":" or "="
# (after a secret's name). A text with none of them is returned as it is, without the three
# passes: most values of a request's line (its message, method and path) have none, and the
# passes were about 10 us of the line's 23 us (2026-12-07).
_MAY_HOLD = re.compile(r"\d|JW|[:=]")


def redact(text: str) -> str:
    if _MAY_HOLD.search(text) is None:
        return text
    text = _ICOCA.sub(lambda match: mask_icoca_number(match[0]), text)
    text = _DIGIT_RUN.sub(_card_numbers, text)
    return _SECRET.sub(r"\1\2[removed]", text)


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = request_id_var.get()
        return True


_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "request_id",
}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, (int, float, bool, type(None))) else redact(str(value))
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)
