"""利用履歴's filter panel (the card, kind and month selects, the period's dates, the help and
the buttons) as HTML, written here rather than by a template.

Through the template language the panel was a third of the page's template work
(cProfile, 2026-12-07): templates/cards/history/_filters.html included _select.html three
times, each include a new context and some twenty lookups of its field, and the period's two
fields were looped over twice. Here the panel's words and address are made once per language
and process (:func:`panel_format`), each field's parts are read once from its BoundField, and
the panel is a few strings. The option lists are the form's (``card_options`` etc.) and the
date inputs its widgets' (portal.widgets.render_input), as before. The markup is the one the
two templates wrote, byte for byte, in every state (no filter, filters in force, each field's
error, the period's errors): cards/tests/test_history_filter_panel.py renders them as the
reference in both languages.
"""

from __future__ import annotations

from django.forms import BoundField
from django.urls import reverse
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from cards.history.filters import HistoryFilterForm
from portal.per_language import once_per_language

PANEL = (
    '<details class="panel filters"{open}>'
    '\n  <summary class="filters__summary">'
    '\n    <h2 class="filters__title">{title}</h2>'
    "\n    {applied}"
    "\n  </summary>"
    '\n  <form method="get" action="{url}" aria-label="{title}">'
    '\n    <div class="filters__grid">'
    "\n      {card}"
    "\n      {kind}"
    "\n      {month}"
    '\n      <fieldset class="period">'
    "\n        <legend>{legend}</legend>"
    "\n        {period_errors}"
    '\n        <div class="period__fields">'
    "\n          {period_fields}"
    "\n        </div>"
    "\n      </fieldset>"
    "\n    </div>"
    '\n    <p class="form-help">{help}</p>'
    '\n    <div class="filters__actions">'
    '\n      <button type="submit" class="button button--primary">{submit}</button>'
    '\n      <a href="{url}">{clear}</a>'
    "\n    </div>"
    "\n  </form>"
    "\n</details>\n"
)
# templates/cards/history/_select.html as it was, with its closing newline.
SELECT = (
    '<div class="field field--{name}{classes}">'
    '\n  <label for="{id}">{label}</label>'
    "\n  {errors}"
    '\n  <select name="{name}" id="{id}"{invalid}>'
    "\n    {options}"
    "\n  </select>"
    "\n</div>\n"
)
PERIOD_FIELD = (
    "\n          {dash}"
    '\n          <div class="field field--{name}"><label for="{id}">{label}</label>{widget}</div>'
    "\n          "
)


class PanelFormat:
    """The panel's words and address in the language active when it is made. The words are not
    escaped, as ``{% translate "..." %}`` does not escape a literal's translation."""

    def __init__(self) -> None:
        self.title = gettext("絞り込み")
        self.all = f'<span class="filters__applied">{gettext("すべての履歴")}</span>'
        self.url = escape(reverse("cards:history"))
        self.legend = gettext("期間を日付で指定")
        self.dash = f'<span class="period__dash" aria-hidden="true">{gettext("〜")}</span>'
        self.help = gettext(
            "期間は「月」か「開始日・終了日」のどちらかで指定します。指定できるのは%(earliest)s以降です。"
        )
        self.submit = gettext("表示する")
        self.clear = gettext("条件をクリア")


#: The panel's words and address in the active language.
panel_format = once_per_language(PanelFormat)


def _select(field: BoundField, options: str, *, wide: bool = False) -> str:
    errors = field.errors
    field_id = escape(field.id_for_label)
    if errors:
        return SELECT.format(
            name=escape(field.html_name),
            classes=" field--wide field--invalid",
            id=field_id,
            label=conditional_escape(field.label),
            errors=f'<ul class="errorlist" id="{field_id}-errors">'
            + "".join(f"<li>{conditional_escape(error)}</li>" for error in errors)
            + "</ul>",
            invalid=f' aria-invalid="true" aria-describedby="{field_id}-errors"',
            options=options,
        )
    return SELECT.format(
        name=escape(field.html_name),
        classes=" field--wide" if wide else "",
        id=field_id,
        label=conditional_escape(field.label),
        errors="",
        invalid="",
        options=options,
    )


def filter_panel(form: HistoryFilterForm, earliest: str) -> SafeString:
    """The panel for ``form`` (bound or not), ``earliest`` the window's first day as the page
    shows it (cards.history.filters.japan_date)."""
    shown = panel_format()
    has_errors = bool(form.errors)
    if has_errors:
        applied = ""
    else:
        summary = form.summary()
        applied = (
            f'<span class="filters__applied">{"・".join(conditional_escape(part) for part in summary)}</span>'
            if summary
            else shown.all
        )
    period = form.period_fields
    period_errors = []
    period_fields = []
    for number, field in enumerate(period):
        field_id = escape(field.id_for_label)
        label = conditional_escape(field.label)
        errors = field.errors
        if errors:
            period_errors.append(
                f'<ul class="errorlist" id="{field_id}-errors">'
                + "".join(f"<li>{label}: {conditional_escape(error)}</li>" for error in errors)
                + "</ul>"
            )
        period_fields.append(
            PERIOD_FIELD.format(
                dash=shown.dash if number else "",
                name=escape(field.html_name),
                id=field_id,
                label=label,
                widget=conditional_escape(str(field)),
            )
        )
    return SafeString(
        PANEL.format(
            open=" open" if has_errors else "",
            title=shown.title,
            applied=applied,
            url=shown.url,
            card=_select(form["card"], form.card_options, wide=True),
            kind=_select(form["kind"], form.kind_options),
            month=_select(form["month"], form.month_options),
            legend=shown.legend,
            period_errors="".join(period_errors),
            period_fields="".join(period_fields),
            help=shown.help % {"earliest": conditional_escape(earliest)},
            submit=shown.submit,
            clear=shown.clear,
        )
    )
