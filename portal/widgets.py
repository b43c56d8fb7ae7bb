"""Form widgets rendered in Python: the same HTML as Django's widget templates, without
the template engine.

Django renders every widget, and every <option> of a <select>, through its templates
(``select.html`` includes ``select_option.html`` and ``attrs.html`` once per option). On
/documents/ that was most of the page's CPU: a hundred payments are a hundred template
includes, each with its loop over the attributes. ``RENDERER`` builds the HTML of the plain
widgets (``<input>`` of every text-like type, ``<select>`` with or without <optgroup>) and
the error lists (a template each, even for a field without errors) with ``format_html``
from the same context Django's templates read, byte for byte the same
(portal/tests/test_widgets.py compares them; like Django's renderer, a widget's HTML
is stripped of the whitespace around it); any other template (checkboxes, radios,
a form's own layout) goes to Django's renderer as before.

A form uses it with ``default_renderer = RENDERER``.
"""

from __future__ import annotations

from django.forms.renderers import BaseRenderer, get_default_renderer
from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeData, SafeString, mark_safe

#: The widget templates that are nothing but ``{% include "django/forms/widgets/input.html" %}``.
INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in ("input", "text", "number", "email", "url", "password", "hidden", "date", "datetime", "time",
                 "search", "tel", "color")
)
SELECT_TEMPLATE = "django/forms/widgets/select.html"
OPTION_TEMPLATE = "django/forms/widgets/select_option.html"
#: A field's or a form's errors: default.html is nothing but ``{% include "…/ul.html" %}``.
ERROR_LIST_TEMPLATES = frozenset({"django/forms/errors/list/default.html", "django/forms/errors/list/ul.html"})


def _value(value) -> str:
    """``{{ value|stringformat:'s' }}``: escaped, unless it was safe already."""
    return conditional_escape(value) if isinstance(value, SafeData) else conditional_escape(str(value))


def render_attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html: `` name="value"`` each, a bare name for True, nothing for False."""
    return "".join(
        f" {conditional_escape(name)}" if value is True else f' {conditional_escape(name)}="{_value(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def render_input(widget: dict) -> str:
    """django/forms/widgets/input.html (and the templates that only include it)."""
    value = "" if widget["value"] is None else f' value="{_value(widget["value"])}"'
    return format_html(
        '<input type="{}" name="{}"{}{}>', widget["type"], widget["name"], mark_safe(value),  # noqa: S308
        mark_safe(render_attrs(widget["attrs"])),  # noqa: S308 (escaped above)
    )


def render_option(option: dict) -> str:
    """django/forms/widgets/select_option.html."""
    return (f'<option value="{_value(option["value"])}"{render_attrs(option["attrs"])}>'
            f'{conditional_escape(localize(option["label"]))}</option>\n')


def render_select(widget: dict) -> str:
    """django/forms/widgets/select.html with its options (all select_option.html), <optgroup>s included."""
    parts = [f'<select name="{conditional_escape(widget["name"])}"{render_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in group_choices:
            parts.append("\n  ")
            parts.append(render_option(option))
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return SafeString("".join(parts))


def render_error_list(context: dict) -> str:
    """django/forms/errors/list/ul.html: nothing without errors (most fields, every time a
    page is shown), else ``<ul class="errorlist" id="id_x_error"><li>…</li></ul>``."""
    errors = context["errors"]
    if not errors:
        return SafeString("")
    field_id = getattr(errors, "field_id", None)
    id_attr = f' id="{conditional_escape(field_id)}_error"' if field_id else ""
    items = "".join(f"<li>{conditional_escape(error)}</li>" for error in errors)
    return SafeString(f'<ul class="{conditional_escape(context["error_class"])}"{id_attr}>{items}</ul>')


class WidgetRenderer(BaseRenderer):
    """The project's form renderer, with the plain widgets built in Python."""

    def render(self, template_name, context, request=None):
        if template_name in INPUT_TEMPLATES:
            return render_input(context["widget"])
        if template_name == SELECT_TEMPLATE and all(
            option["template_name"] == OPTION_TEMPLATE for _name, group, _index in context["widget"]["optgroups"]
            for option in group
        ):
            return render_select(context["widget"])
        if template_name in ERROR_LIST_TEMPLATES:
            return render_error_list(context)
        return get_default_renderer().render(template_name, context, request=request)

    def get_template(self, template_name):
        return get_default_renderer().get_template(template_name)

    @property
    def form_template_name(self):
        return get_default_renderer().form_template_name

    @property
    def formset_template_name(self):
        return get_default_renderer().formset_template_name

    @property
    def field_template_name(self):
        return get_default_renderer().field_template_name


RENDERER = WidgetRenderer()
