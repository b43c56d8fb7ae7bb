"""portal.per_language.once_per_language: one result per language and URL configuration."""

from django.urls import set_urlconf
from django.utils import translation

from portal.per_language import once_per_language


def test_made_once_per_language_and_urlconf():
    made = []
    shown = once_per_language(lambda: made.append(translation.get_language()) or len(made))
    with translation.override("ja"):
        assert shown() == shown() == 1
    with translation.override("en"):
        assert shown() == 2
    with translation.override("ja"):
        set_urlconf("portal.tests.test_chrome")
        try:
            assert shown() == 3
        finally:
            set_urlconf(None)
        assert shown() == 1
    assert made == ["ja", "en", "ja"]
