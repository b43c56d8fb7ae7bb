"""The card page's template work: the name field read once (cards.forms.ShownField) writes
what the BoundField wrote, and the page's links come from the menu's addresses reversed
once per process, not a {% url %} each."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Engine, defaulttags
from django.utils import translation

from cards.forms import CardRenameForm, ShownField
from cards.tests.factories import CardFactory

pytestmark = pytest.mark.django_db

TEMPLATE = Path(settings.BASE_DIR, "templates/cards/card_detail.html").read_text()
FIELD = TEMPLATE[TEMPLATE.index("{% with field=rename_field %}") : TEMPLATE.index("{% endwith %}") + len("{% endwith %}")]


def rendered(source: str, form: CardRenameForm) -> str:
    context = Context({"form": form, "rename_field": ShownField.of(form["nickname"])})
    return Engine.get_default().from_string("{% load i18n %}" + source).render(context)


def forms() -> list[CardRenameForm]:
    bad_emoji, too_long, fine = (CardRenameForm({"nickname": n}) for n in ("<i>&\"y'🚃", "a" * 21, "仕事用"))
    for form in (bad_emoji, too_long, fine):
        form.is_valid()
    two_errors = CardRenameForm({"nickname": "🚃"})
    two_errors.is_valid()
    two_errors.add_error("nickname", "もう一つ <b>")
    return [CardRenameForm(initial={"nickname": "仕事用 <&>"}), CardRenameForm(initial={"nickname": ""}),
            bad_emoji, too_long, fine, two_errors]


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_name_field_is_what_the_bound_field_wrote(language):
    assert "field.errors" in FIELD and "aria-invalid" in FIELD
    with translation.override(language):
        for form in forms():
            assert rendered(FIELD, form) == rendered(FIELD.replace("rename_field", "form.nickname"), form)
    assert 'aria-invalid="true" autofocus' in rendered(FIELD, forms()[2])


def test_an_active_cards_page_reverses_only_its_rename_address(client, monkeypatch):
    card = CardFactory()
    client.force_login(card.member)
    client.get(f"/cards/{card.public_id}/")
    reversed_names = []
    render = defaulttags.URLNode.render
    monkeypatch.setattr(
        defaulttags.URLNode, "render", lambda node, context: reversed_names.append(node.view_name.var) or render(node, context)
    )

    page = client.get(f"/cards/{card.public_id}/").content.decode()

    assert reversed_names == ["cards:card-rename"]
    assert f'<a href="/history/?card={card.public_id}">' in page and '<p class="breadcrumb"><a href="/">' in page
