"""portal/widgets.py renders the plain widgets as Django's widget templates do."""

from __future__ import annotations

from django import forms
from django.forms.renderers import get_default_renderer
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from portal.widgets import RENDERER


class Everything(forms.Form):
    text = forms.CharField(widget=forms.TextInput(attrs={"placeholder": gettext_lazy("例: 大阪"), "autofocus": True,
                                                         "disabled": False, "data-x": '"<&>\''}))
    number = forms.IntegerField(min_value=0, required=False)
    email = forms.EmailField(required=False)
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date", "min": "2025-12-01"}))
    hidden = forms.CharField(widget=forms.HiddenInput, initial=mark_safe("<b>safe</b>"))
    password = forms.CharField(widget=forms.PasswordInput(render_value=True), required=False)
    kind = forms.ChoiceField(choices=[("", "すべて"), ("a&b", 'A "&" B'), ("<c>", mark_safe("<i>C</i>"))])
    grouped = forms.ChoiceField(choices=[("Group <1>", [("1", "one"), ("2", "two")]), ("3", "three"),
                                         ("Group 2", [(4, 4), (5, "five")])], initial=4)
    many = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B")], initial=["a", "b"], required=False)
    boxes = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B")], widget=forms.CheckboxSelectMultiple,
                                      required=False)
    agree = forms.BooleanField(required=False)
    note = forms.CharField(widget=forms.Textarea, required=False)


def same(*args, **kwargs):
    ours = Everything(*args, renderer=RENDERER, **kwargs)
    djangos = Everything(*args, renderer=get_default_renderer(), **kwargs)
    for name in ours.fields:
        assert str(ours[name]) == str(djangos[name]), name
        assert str(ours[name].errors) == str(djangos[name].errors), name
    assert str(ours) == str(djangos)


def test_unbound_and_bound_with_and_without_errors():
    same()
    same(auto_id=False)
    same(initial={"text": '"quoted" <x>', "number": 3})
    same({"text": "", "number": "-1", "email": "nope", "day": "2026-13-01", "kind": "<c>", "grouped": "5",
          "many": ["b"], "boxes": ["a"], "agree": "on", "note": "<p>"})
    same({"text": "ok", "day": "2026-11-03", "kind": "zzz", "grouped": "9"})


def test_a_select_with_its_own_option_template_goes_to_djangos_templates():
    class OwnOption(forms.Select):
        option_template_name = "django/forms/widgets/radio_option.html"

    widget = OwnOption(choices=[("1", "one")])
    assert RENDERER.render(widget.template_name, widget.get_context("x", "1", {})) == get_default_renderer().render(
        widget.template_name, widget.get_context("x", "1", {}))


def test_error_lists_are_djangos_without_its_templates(monkeypatch):
    """A field's and a form's errors (none, one, several, safe or to be escaped, with the
    field's id or without) as Django's error templates write them, built in Python."""
    from django.forms.utils import ErrorList

    class Checked(Everything):
        def clean(self):
            self.add_error(None, 'A <"form"> error')
            self.add_error(None, mark_safe("<b>safe</b>"))
            raise forms.ValidationError("& one more")

    for data in ({"text": "", "day": "x"}, {"text": "ok", "day": "2026-11-03"}):
        ours, djangos = Checked(data, renderer=RENDERER), Checked(data, renderer=get_default_renderer())
        assert str(ours.non_field_errors()) == str(djangos.non_field_errors())
        assert str(ours.non_field_errors()).count("<li>") == 3
        for name in ours.fields:
            assert str(ours[name].errors) == str(djangos[name].errors), name
    for errors in (ErrorList(["x < y"], renderer=RENDERER, field_id="id_a"), ErrorList([], renderer=RENDERER),
                   ErrorList(["a", "b"], error_class="nonfield", renderer=RENDERER)):
        djangos = errors.copy()
        djangos.renderer, djangos.field_id = get_default_renderer(), errors.field_id
        assert str(errors) == str(djangos)

    rendered = []
    monkeypatch.setattr(type(get_default_renderer()), "render", lambda *args, **kwargs: rendered.append(args))
    assert str(ErrorList(["x"], renderer=RENDERER, field_id="id_a")) == '<ul class="errorlist" id="id_a_error"><li>x</li></ul>'
    assert str(Everything(renderer=RENDERER)["text"].errors) == ""
    assert rendered == []
