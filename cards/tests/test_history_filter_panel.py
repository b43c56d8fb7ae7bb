"""利用履歴's filter panel, written in Python for speed (cards/history/filter_panel.py), is the
markup templates/cards/history/_filters.html and its three _select.html includes wrote, byte
for byte, in every state of the form, in both languages."""

from __future__ import annotations

from datetime import date
from html import escape

import pytest
from django.template import Context, Engine
from django.utils import translation

from accounts.tests.factories import MemberFactory
from cards.history import filters
from cards.history.filter_panel import filter_panel, panel_format
from cards.history.filters import KIND_ALIASES, HistoryFilterForm, japan_date
from cards.history.selectors import member_cards
from cards.models import CardStatus
from cards.tests.factories import CardFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 25)

# templates/cards/history/_select.html and _filters.html as they were before filter_panel.py.
SELECT = """<div class="field field--{{ field.html_name }}{% if wide or field.errors %} field--wide{% endif %}{% if field.errors %} field--invalid{% endif %}">
  <label for="{{ field.id_for_label }}">{{ field.label }}</label>
  {% if field.errors %}<ul class="errorlist" id="{{ field.id_for_label }}-errors">{% for error in field.errors %}<li>{{ error }}</li>{% endfor %}</ul>{% endif %}
  <select name="{{ field.html_name }}" id="{{ field.id_for_label }}"{% if field.errors %} aria-invalid="true" aria-describedby="{{ field.id_for_label }}-errors"{% endif %}>
    {{ options }}
  </select>
</div>
"""
FILTERS = """{% load i18n %}{% with summary=form.summary %}<details class="panel filters"{% if form.errors %} open{% endif %}>
  <summary class="filters__summary">
    <h2 class="filters__title">{% translate "絞り込み" %}</h2>
    {% if not form.errors %}<span class="filters__applied">{% if summary %}{{ summary|join:"・" }}{% else %}{% translate "すべての履歴" %}{% endif %}</span>{% endif %}
  </summary>
  <form method="get" action="{% url 'cards:history' %}" aria-label="{% translate '絞り込み' %}">
    <div class="filters__grid">
      {% include select with field=form.card options=form.card_options wide=True %}
      {% include select with field=form.kind options=form.kind_options %}
      {% include select with field=form.month options=form.month_options %}
      <fieldset class="period">
        <legend>{% translate "期間を日付で指定" %}</legend>
        {% for field in form.period_fields %}{% if field.errors %}<ul class="errorlist" id="{{ field.id_for_label }}-errors">{% for error in field.errors %}<li>{{ field.label }}: {{ error }}</li>{% endfor %}</ul>{% endif %}{% endfor %}
        <div class="period__fields">
          {% for field in form.period_fields %}
          {% if not forloop.first %}<span class="period__dash" aria-hidden="true">{% translate "〜" %}</span>{% endif %}
          <div class="field field--{{ field.html_name }}"><label for="{{ field.id_for_label }}">{{ field.label }}</label>{{ field }}</div>
          {% endfor %}
        </div>
      </fieldset>
    </div>
    <p class="form-help">{% blocktranslate %}期間は「月」か「開始日・終了日」のどちらかで指定します。指定できるのは{{ earliest }}以降です。{% endblocktranslate %}</p>
    <div class="filters__actions">
      <button type="submit" class="button button--primary">{% translate "表示する" %}</button>
      <a href="{% url 'cards:history' %}">{% translate "条件をクリア" %}</a>
    </div>
  </form>
</details>{% endwith %}
"""


def reference(form: HistoryFilterForm, earliest: str) -> str:
    engine = Engine.get_default()
    context = Context({"form": form, "earliest": earliest, "select": engine.from_string(SELECT)})
    return engine.from_string(FILTERS).render(context)


def options(form: HistoryFilterForm, name: str, selected: str) -> str:
    """A select's options as HistoryFilterForm._options wrote them before they were kept."""
    return "".join(
        f'<option value="{escape(value)}"{" selected" if value == selected else ""}>{escape(str(label))}</option>'
        for value, label in form.fields[name].widget.choices
    )


def forms(language: str):
    """The form in every state the panel shows: nothing asked, each filter and all of them in
    force, and each field's error and the period's (a bad month, one outside the window, an
    unknown kind with markup, an impossible date, dates outside the window, the end before
    the start, a month and dates at once, a card that is not the member's, a bad page)."""
    member = MemberFactory()
    work = CardFactory(member=member, nickname="仕事用 <&>", status=CardStatus.REISSUED)
    newest = CardFactory(member=member, replaces=work, nickname="")
    CardFactory(member=member, nickname="'週末' & \"買い物\"")
    CardFactory()  # someone else's
    cards = member_cards(member)
    given = [
        {},
        {"card": str(newest.public_id)},
        {"card": str(newest.public_id), "kind": "ride", "month": "2026-10"},
        {"kind": "乗車"},
        {"from": "2026-11-01", "to": "2026-11-20"},
        {"from": "2026-11-01"},
        {"to": "2026-11-20", "kind": "charge"},
        {"month": "2026-13"},
        {"month": "2020-01"},
        {"month": "abc", "kind": "<b>&'\""},
        {"from": "2026-02-30"},
        {"from": "2020-01-01"},
        {"to": "2020-01-01"},
        {"from": "x", "to": "y"},
        {"from": "2026-11-20", "to": "2026-11-01"},
        {"month": "2026-11", "from": "2026-11-01"},
        {"card": "00000000-0000-0000-0000-000000000000", "from": "2026-13-01", "kind": "nope", "month": "z"},
        {"after": "bad"},
    ]
    with translation.override(language):
        for data in given:
            yield data, HistoryFilterForm(data, cards=cards, today=TODAY)
        yield "unbound", HistoryFilterForm(cards=cards, today=TODAY)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_panel_is_the_markup_the_templates_wrote(language):
    states = 0
    for data, form in forms(language):
        form.is_valid()
        earliest = japan_date(form.earliest)
        expected = reference(form, earliest)
        assert str(filter_panel(form, earliest)) == expected, data
        raw = {name: str(form.data.get(name) or "").strip() if form.is_bound else "" for name in ("card", "kind", "month")}
        assert form.card_options == options(form, "card", raw["card"]), data
        assert form.kind_options == options(form, "kind", KIND_ALIASES.get(raw["kind"], raw["kind"])), data
        assert form.month_options == options(form, "month", raw["month"]), data
        states += 1
    assert states == 19


def test_every_state_is_shown():
    """The states above are those the panel has: summaries, and errors on every field."""
    seen_errors, summaries = set(), 0
    for _data, form in forms("ja"):
        if form.is_bound and not form.is_valid():
            seen_errors |= set(form.errors)
        elif form.is_bound and form.summary():
            summaries += 1
    assert seen_errors == {"card", "kind", "month", "from", "to", "after", "__all__"} and summaries >= 5


def test_the_words_are_made_once_per_language():
    with translation.override("ja"):
        japanese = panel_format()
        assert panel_format() is japanese
    with translation.override("en"):
        english = panel_format()
    assert english is not japanese
    assert (japanese.submit, japanese.url) == ("表示する", "/history/") and english.url == "/history/"


def test_the_kinds_and_months_options_are_made_once_per_language_and_day():
    """The same for every member on a day: the months' labels and the options' markup are kept
    per language and day; a member's cards are not."""
    filters._option_parts.clear()
    filters._window_months.cache_clear()
    made = []
    for language in ("ja", "en", "ja"):
        for data, form in forms(language):
            if data in ({}, "unbound"):
                made.append((form.kind_options, form.month_options, form.card_options))
    assert sorted(key[:2] for key in filters._option_parts) == [("kind", "en"), ("kind", "ja"), ("month", "en"), ("month", "ja")]
    assert filters._window_months.cache_info().misses == 2
    assert made[0][:2] == made[4][:2] != made[2][:2]  # ja, ja again, en
