"""How long a commuter pass has left, counted in Japan dates.

Pure Python: the card face, the card page and the expiry reminder share it.
"""

from __future__ import annotations

from datetime import date

#: The warning on the card face and the reminder e-mail start this many days
#: before the last valid day.
EXPIRY_WARNING_DAYS = 14


def days_left(valid_until: date, today: date) -> int:
    """Days after ``today`` the pass is still valid: 0 on its last day,
    negative once it has expired."""
    return (valid_until - today).days


def expires_soon(valid_until: date, today: date) -> bool:
    """Whether ``today`` is within the last :data:`EXPIRY_WARNING_DAYS` days
    before the pass ends (the last day included)."""
    return 0 <= days_left(valid_until, today) <= EXPIRY_WARNING_DAYS
