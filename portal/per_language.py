"""What a page's markup needs that depends only on the active language and the URL
configuration (translated words, formats, reversed addresses): made once per language and
process rather than on every page, as ``faces_format = once_per_language(FacesFormat)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.urls import get_script_prefix, get_urlconf
from django.utils.translation import get_language

T = TypeVar("T")


def once_per_language(make: Callable[[], T]) -> Callable[[], T]:
    """``make()``'s result for the active language, URL configuration and script prefix, made
    the first time it is asked for and kept for the process. ``make`` must read nothing of a
    request, a member or the time: only the language, the formats and the URLs."""
    made: dict[tuple[str, str | None, str], T] = {}

    def get() -> T:
        key = (get_language() or "ja", get_urlconf(), get_script_prefix())
        found = made.get(key)
        if found is None:
            found = made[key] = make()
        return found

    get.__doc__ = make.__doc__
    return get
