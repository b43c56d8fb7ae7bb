"""A feed record as a JSON-ready dict (times and dates in ISO 8601, ``from``/``to`` as the
feed names them, a pass's fares by months): what the parsing tests compare records by."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

from cards.feed.records import Fares

NAMES = {"from_station": "from", "to_station": "to"}


def canonical(value: object) -> object:
    if isinstance(value, Fares):
        return {str(months): value.for_months(months) for months in (1, 3, 6)}
    if isinstance(value, date | datetime):
        return value.isoformat()
    if dataclasses.is_dataclass(value):
        fields = {NAMES.get(f.name, f.name): canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"type": value.type, **fields} if hasattr(value, "type") else fields
    return value
