"""How the support center's lists show a moment: in Japan time, in the page's language."""

from __future__ import annotations

from django.utils import timezone
from django.utils.formats import date_format


def when(moment) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")
