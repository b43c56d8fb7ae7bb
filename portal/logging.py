"""Structured logs: one JSON object per line, with the request id, and
nothing that looks like a card number, an ICOCA number or a secret."""

from __future__ import annotations

import contextvars
import json
import logging
import re
from datetime import UTC, datetime

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)

# 13–19 digits, possibly grouped by spaces or dashes: a payment card number.
_PAN = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
# A full ICOCA number: keep the last four characters only.
_ICOCA = re.compile(r"\bJW[0-9A-Z]{11}([0-9A-Z]{4})\b")
_SECRET = re.compile(
    r"(?i)\b(password|passwd|secret|token|code_verifier|client_secret|cvc|cvv|"
    r"security_code|authorization)\b(\"?\s*[:=]\s*\"?)([^\s\"&,]+)"
)


def redact(text: str) -> str:
    text = _ICOCA.sub(r"JW•••••••••••\1", text)
    text = _PAN.sub("[card number removed]", text)
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
