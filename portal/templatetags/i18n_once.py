"""Django's ``i18n`` tag library, with ``{% translate "a literal" %}`` translated once per
language and process instead of on every page. Registered as the ``i18n`` library
(``TEMPLATES`` ``OPTIONS["libraries"]`` in portal/settings.py), so every template's
``{% load i18n %}`` gets it and no template changes.

Measured (docs/performance.md, "fourth round"): マイページ has 19 ``{% translate %}`` of a
literal; each went through a lazy translation, the catalogue, ``localize`` and
``conditional_escape`` on every page. The tag's output for a literal with no filter depends on
nothing but the active language, so it is made by Django's own node the first time a language
renders it and kept on the node: the same text, byte for byte (tests/test_i18n_once.py
renders every such tag of every template both ways).

Everything else (``{% translate variable %}``, a filter, a ``context`` that is a variable,
``{% blocktranslate %}``, ``{% language %}``...) is Django's, untouched.
"""

from __future__ import annotations

import copy

from django.template import Library
from django.templatetags import i18n as django_i18n
from django.utils.translation import get_language

register = Library()
register.tags.update(django_i18n.register.tags)
register.filters.update(django_i18n.register.filters)


class TranslateOnceNode(django_i18n.TranslateNode):
    """``{% translate "literal" %}`` (``noop``, ``context "literal"`` and ``as name`` too): its
    text made by Django's node once per active language."""

    def __init__(self, node: django_i18n.TranslateNode) -> None:
        super().__init__(node.filter_expression, node.noop, node.asvar, node.message_context)
        self.made: dict[str | None, str] = {}

    def render(self, context):
        language = get_language()
        text = self.made.get(language)
        if text is None:
            # Django's render of a copy without ``as``, for the text alone: nothing of this node
            # changes while it is made, so a thread rendering it meanwhile reads it whole.
            alone = copy.copy(self)
            alone.asvar = None
            text = self.made[language] = django_i18n.TranslateNode.render(alone, context)
        if self.asvar:
            context[self.asvar] = text
            return ""
        return text

    @staticmethod
    def applies_to(node: django_i18n.TranslateNode) -> bool:
        """A literal with no filter, in a literal context or none: nothing of the page."""
        return _literal(node.filter_expression) and (node.message_context is None or _literal(node.message_context))


def _literal(expression) -> bool:
    """A template expression that is a constant: a string (``"text"``, which the parser keeps
    as the string itself, or a ``Variable`` holding it, as ``TranslateNode`` makes it) or a
    number, with no filter."""
    var = expression.var
    return not expression.filters and (isinstance(var, str) or getattr(var, "literal", None) is not None)


@register.tag("translate")
@register.tag("trans")
def do_translate(parser, token):
    node = django_i18n.do_translate(parser, token)
    return TranslateOnceNode(node) if TranslateOnceNode.applies_to(node) else node
