"""State changes for cards."""

from __future__ import annotations

from cards import partitions
from cards.window import japan_today


def usage_partitions_upkeep(*, ahead: int) -> list[str]:
    """Make sure this month and the next ``ahead`` months have partitions."""
    today = japan_today()
    return partitions.ensure_usage_partitions(first=today, last=partitions.add_months(today, ahead))
