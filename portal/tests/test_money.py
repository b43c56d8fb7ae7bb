"""One money formatter (portal/money.py) for pages, PDFs and e-mails, and its
template filters in the active language."""

from __future__ import annotations

import doctest

import pytest
from django.template import Context, Template
from django.utils import translation

from portal import money
from portal.money import signed_yen, yen


def test_the_worked_examples():
    assert doctest.testmod(money).failed == 0


@pytest.mark.parametrize(
    ("amount", "language", "shown"),
    [
        (0, "ja", "0円"),
        (36960, "ja", "36,960円"),
        (36960, "en", "¥36,960"),
        (1234567, "ja", "1,234,567円"),
        (-7920, "ja", "-7,920円"),
        (-7920, "en", "-¥7,920"),
    ],
)
def test_yen(amount, language, shown):
    assert yen(amount, language) == shown


@pytest.mark.parametrize(
    ("amount", "language", "shown"),
    [(-580, "ja", "\u2212580円"), (-580, "en", "\u2212¥580"), (3000, "ja", "+3,000円"), (0, "en", "¥0")],
)
def test_signed_yen(amount, language, shown):
    assert signed_yen(amount, language) == shown


@pytest.mark.parametrize("amount", [12.5, 1000.0, True, "1000", None])
def test_money_is_whole_yen(amount):
    with pytest.raises(ValueError, match="whole number of yen"):
        yen(amount, "ja")
    with pytest.raises(ValueError, match="whole number of yen"):
        signed_yen(amount, "ja")


@pytest.mark.parametrize("language", ["fr", "", "JA", "en-us"])
def test_an_unknown_language_is_refused(language):
    with pytest.raises(ValueError, match="language"):
        yen(1, language)


@pytest.mark.parametrize(("language", "shown"), [("ja", "4,210円 −580円 ."), ("en", "¥4,210 −¥580 .")])
def test_the_filters_use_the_active_language(language, shown):
    template = Template("{% load money %}{{ balance|yen }} {{ amount|signed_yen }} {{ missing|yen }}.")
    with translation.override(language):
        assert template.render(Context({"balance": 4210, "amount": -580, "missing": None})) == shown
