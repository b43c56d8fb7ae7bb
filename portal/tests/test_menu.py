"""The chrome's words (``{% menu_words %}``, portal/templatetags/menu.py): what
``{% translate %}`` wrote in base.html, looked up once per language, not on every page."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.template import Context, Engine
from django.templatetags.i18n import TranslateNode
from django.utils import translation

from accounts.tests.factories import MemberFactory
from portal.templatetags.menu import WORDS, menu_words

pytestmark = pytest.mark.django_db

# The tags base.html had, by key of WORDS.
TRANSLATE = {
    "skip_link": '{% translate "本文へ移動" %}',
    "menu": '{% translate "メニュー" %}',
    "main_menu": "{% translate 'メインメニュー' %}",
    "home": '{% translate "マイページ" %}',
    "history": '{% translate "利用履歴" %}',
    "documents": '{% translate "領収書・明細書" %}',
    "refunds": '{% translate "払いもどし" context "menu" %}',
    "payment_methods": '{% translate "決済用カード" %}',
    "settings": '{% translate "設定" %}',
    "help": '{% translate "ヘルプ" %}',
    "sign_out": '{% translate "ログアウト" %}',
    "operator": '{% translate "運営" %}',
    "site_information": "{% translate 'サイト情報' %}",
    "language": '{% translate "Language / 言語" %}',
    "switch_language": '{% translate "切り替え" %}',
}


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_words_are_what_translate_wrote(language):
    assert set(TRANSLATE) == set(WORDS)
    with translation.override(language):
        words = menu_words()
        for key, tag in TRANSLATE.items():
            assert words[key] == Engine.get_default().from_string("{% load i18n %}" + tag).render(Context()), key
    with translation.override("en"):
        assert menu_words()["documents"] == "Receipts & statements"  # not escaped, as translate did not


def test_the_words_follow_the_language():
    with translation.override("ja"):
        japanese = menu_words()
    with translation.override("en"):
        english = menu_words()
    with translation.override("ja"):
        assert menu_words() is japanese
    assert japanese["sign_out"] == "ログアウト" and english["sign_out"] != "ログアウト"


def test_the_chrome_translates_nothing_on_each_page(client, monkeypatch):
    """base.html has no {% translate %} left: its words come from menu_words."""
    rendered = []
    render = TranslateNode.render

    def spy(node, context):
        rendered.append(node.origin.template_name)
        return render(node, context)

    client.force_login(MemberFactory())
    monkeypatch.setattr(TranslateNode, "render", spy)
    for language in ("ja", "en"):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        assert client.get("/").status_code == 200

    assert rendered  # the page's own template still translates
    assert "base.html" not in rendered
