"""``{% translate "literal" %}`` made once per language (portal/templatetags/i18n_once.py):
the same text as Django's own tag, in every template of the project, in both languages."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template, engines
from django.templatetags.i18n import TranslateNode
from django.utils import translation

from portal.templatetags.i18n_once import TranslateOnceNode

ENGINE = engines["django"].engine


def _templates() -> list[Path]:
    roots = [Path(settings.BASE_DIR) / "templates"]
    roots += [Path(settings.BASE_DIR) / app / "templates" for app in ("accounts", "cards", "billing", "support")]
    return sorted(path for root in roots if root.is_dir() for path in root.rglob("*.html"))


def _nodes(nodelist, kind):
    for node in nodelist:
        if isinstance(node, kind):
            yield node
        for name in node.child_nodelists:
            yield from _nodes(getattr(node, name, None) or [], kind)
        for child in getattr(node, "conditions_nodelists", ()):
            yield from _nodes(child[1], kind)


def test_every_literal_translate_of_every_template_is_made_once_and_reads_as_djangos():
    """Each template's ``{% translate %}`` of a literal gives, in Japanese and English, what
    Django's own node gives; a variable's is still Django's node."""
    checked = 0
    for path in _templates():
        template = ENGINE.from_string(path.read_text(encoding="utf-8"))
        for node in _nodes(template.nodelist, TranslateNode):
            if not isinstance(node, TranslateOnceNode):
                assert not TranslateOnceNode.applies_to(node), node.token.contents
                continue
            django_node = TranslateNode(node.filter_expression, node.noop, None, node.message_context)
            for language in ("ja", "en", "ja"):
                with translation.override(language):
                    assert node.render(Context()) == django_node.render(Context()) or node.asvar, \
                        f"{path.name}: {node.token.contents}"
                    context = Context()
                    node.render(context)
                    if node.asvar:
                        assert context[node.asvar] == django_node.render(Context())
            checked += 1
    assert checked > 300  # every page's chrome and words: a few hundred tags


@pytest.mark.parametrize(
    ("source", "once"),
    [
        ('{% translate "マイページ" %}', True),
        ('{% trans "マイページ" %}', True),
        ('{% translate "マイページ" as title %}{{ title }}', True),
        ('{% translate "May" context "month name" %}', True),
        ('{% translate "マイページ" noop %}', True),
        ("{% translate word %}", False),
        ('{% translate "マイページ"|upper %}', False),
        ('{% translate "May" context kind %}', False),
    ],
)
def test_only_a_literal_with_nothing_of_the_page_is_made_once(source, once):
    template = Template("{% load i18n %}" + source)
    nodes = list(_nodes(template.nodelist, TranslateNode))
    assert len(nodes) == 1 and isinstance(nodes[0], TranslateOnceNode) is once


def test_each_language_gets_its_own_words_from_the_same_node():
    template = Template('{% load i18n %}<h1>{% translate "マイページ" %}</h1>{% translate "マイページ" as t %}[{{ t }}]')
    seen = []
    for language in ("ja", "en", "ja", "en"):
        with translation.override(language):
            seen.append(template.render(Context()))
    assert seen == ["<h1>マイページ</h1>[マイページ]", "<h1>My page</h1>[My page]"] * 2


def test_a_variable_is_translated_on_every_render():
    template = Template("{% load i18n %}{% translate word %}")
    with translation.override("en"):
        assert template.render(Context({"word": "マイページ"})) == "My page"
        assert template.render(Context({"word": "利用履歴"})) != "My page"


def test_i18n_is_the_only_library_name_given_to_two_modules(settings):
    """The clash Django's check reports (templates.W003, silenced in settings for ``i18n``) is
    ``i18n`` alone: another name given twice would load one module's tags for the other's."""
    warnings = [warning for warning in engines["django"].check() if warning.id == "templates.W003"]
    assert [warning.msg for warning in warnings] == [
        "'i18n' is used for multiple template tag modules: 'django.templatetags.i18n', "
        "'portal.templatetags.i18n_once'"
    ]


def test_making_a_languages_text_leaves_the_node_as_it_is(monkeypatch):
    """The text is made from a copy: a thread rendering the same node meanwhile (gthread
    workers) still finds its ``as``."""
    template = Template('{% load i18n %}{% translate "マイページ" as title %}[{{ title }}]')
    [node] = list(_nodes(template.nodelist, TranslateOnceNode))
    seen = []
    render = TranslateNode.render

    def spy(making, context):
        seen.append((making is node, node.asvar))
        return render(making, context)

    monkeypatch.setattr(TranslateNode, "render", spy)
    with translation.override("en"):
        assert template.render(Context()) == "[My page]"
        assert template.render(Context()) == "[My page]"
    assert seen == [(False, "title")]  # made once, from a copy, the node's "as" in place
