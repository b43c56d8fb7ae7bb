"""Document numbers: ``R-202611-000123`` (利用明細書（領収書）),
``S-202611-000045`` (払いもどし計算書) and ``H-202611-000007`` (利用履歴証明).

A number is the kind's letter, the Japan year and month it was allocated in and
a sequence that restarts every month for each kind, at least six digits (it
simply grows a digit past 999,999, so numbers stay unique and sort within a
month by length then text). The counter that hands out the sequence lives in
the database (``billing.models.DocumentCounter``); this module only spells
and reads the numbers. Pure Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PREFIXES = {"receipt": "R", "refund_statement": "S", "usage_history": "H"}
_NUMBER = re.compile(r"^(?P<prefix>[A-Z])-(?P<year>\d{4})(?P<month>\d{2})-(?P<sequence>\d{6,})$")


def counter_key(kind: str, year: int, month: int) -> str:
    """The counter a number comes from: ``R-202611``."""
    try:
        prefix = PREFIXES[kind]
    except KeyError:
        raise ValueError(f"unknown document kind {kind!r}") from None
    if not 1 <= month <= 12 or not 2000 <= year <= 9999:
        raise ValueError(f"bad year/month {year}-{month}")
    return f"{prefix}-{year:04d}{month:02d}"


def format_number(kind: str, year: int, month: int, sequence: int) -> str:
    """``format_number("receipt", 2026, 11, 123)`` → ``R-202611-000123``."""
    if isinstance(sequence, bool) or not isinstance(sequence, int) or sequence < 1:
        raise ValueError(f"sequence must be an int >= 1, got {sequence!r}")
    return f"{counter_key(kind, year, month)}-{sequence:06d}"


@dataclass(frozen=True)
class DocumentNumber:
    kind: str
    year: int
    month: int
    sequence: int


def parse_number(text: str) -> DocumentNumber:
    """The parts of a number; ``ValueError`` for anything else."""
    match = _NUMBER.match(text or "")
    kinds = {prefix: kind for kind, prefix in PREFIXES.items()}
    if not match or match["prefix"] not in kinds or not 1 <= int(match["month"]) <= 12:
        raise ValueError(f"not a document number: {text!r}")
    return DocumentNumber(
        kind=kinds[match["prefix"]], year=int(match["year"]), month=int(match["month"]), sequence=int(match["sequence"])
    )
