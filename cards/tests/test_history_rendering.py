"""利用履歴: the markup written in Python for speed (cards/history/rendering.py, the
filter form's options and date fields) is the markup the templates wrote, byte for byte,
and a page's template work does not grow with its lines."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from itertools import groupby
from operator import attrgetter

import pytest
import time_machine
from django import forms
from django.conf import settings
from django.template import Context, Engine, Template
from django.template.base import FilterExpression
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import SafeString

from cards.history.filters import HistoryFilterForm, JapanDateInput
from cards.history.lines import MonthTotal
from cards.history.rendering import LinesFormat, MonthGroup, MonthsFormat
from cards.history.selectors import HISTORY_KINDS, history_page, member_cards, month_totals, query_for
from cards.models import UsageKind
from cards.tests.factories import CardFactory, CommuterPassFactory, UsageRecordFactory
from cards.tests.history_factories import RefundFactory
from cards.tests.test_history_pages import make_usage

pytestmark = pytest.mark.django_db

JST = timezone(timedelta(hours=9))
HISTORY = reverse("cards:history")
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=JST)

# The history list's loop as the template wrote it before cards/history/rendering.py,
# with the same filters and translations, over the page's HistoryLines.
REFERENCE = """{% load i18n money stations %}{% translate "金額" as amount_label %}{% translate "残額" as balance_label %}{% for item in items %}{% with line=item.line %}
      <li class="line line--{{ line.kind }}">
        <span class="line__when"><time datetime="{{ item.iso }}">{% blocktranslate with month_day=line.local_time|date:"MONTH_DAY_FORMAT" weekday=line.local_time|date:"D" time=line.local_time|time:"H:i" %}{{ month_day }}({{ weekday }}) {{ time }}{% endblocktranslate %}</time></span>
        <span class="line__kind"><span class="kind kind--{{ line.kind }}">{{ item.kind_label }}</span></span>
        <span class="line__what">
          {% if line.from_station or line.to_station %}<span class="line__route">{% if line.from_station and line.to_station %}{{ line.from_station|place }} → {{ line.to_station|place }}{% else %}{{ line.from_station|default:line.to_station|place }}{% endif %}</span>{% endif %}
          {% if line.merchant %}<span class="line__merchant">{{ line.merchant|place }}</span>{% endif %}
          {% if line.detail %}<span class="line__detail">{{ line.detail }}</span>{% endif %}
          {% if line.payment %}<span class="line__payment">{% if line.kind == "refund" %}{% blocktranslate with to=line.payment %}払いもどし先: {{ to }}{% endblocktranslate %}{% else %}{% blocktranslate with by=line.payment %}支払い: {{ by }}{% endblocktranslate %}{% endif %}</span>{% endif %}
          {% if many_cards %}<span class="line__card">{{ line.card.nickname|default:"ICOCA" }} <span class="line__number">{{ line.card.masked_number }}</span></span>{% endif %}
        </span>
        <span class="line__amount num{% if line.amount > 0 %} num--plus{% endif %}"><span class="vh">{{ amount_label }} </span>{{ line.amount|signed_yen }}</span>
        <span class="line__balance num">{% if line.balance is not None %}<span class="line__label">{{ balance_label }} </span>{{ line.balance|yen }}{% endif %}</span>
      </li>
      {% endwith %}{% endfor %}"""


def jst(*args) -> datetime:
    return datetime(*args, tzinfo=JST).astimezone(UTC)


@pytest.fixture
def card():
    return CardFactory(nickname="仕事用 <&>")


@pytest.fixture
def every_kind(card):
    """A line of every kind on two cards, with what needs escaping, stations the table
    knows and does not, a balance of 0 and none."""
    other = CardFactory(member=card.member, nickname="")
    UsageRecordFactory(card=card, occurred_at=jst(2026, 11, 20, 8, 12, 33), amount=-580, balance=4210)
    UsageRecordFactory(card=card, occurred_at=jst(2026, 11, 20, 8, 40), from_station="どこか駅", to_station="")
    UsageRecordFactory(card=other, occurred_at=jst(2026, 11, 20, 9, 5), kind=UsageKind.BUS, from_station="",
                       to_station="", operator="京都市バス", amount=-230, balance=0)
    UsageRecordFactory(card=card, occurred_at=jst(2026, 11, 19, 12, 30), kind=UsageKind.PURCHASE, from_station="",
                       to_station="", merchant="カフェ <\"&'>", amount=-540, balance=3000, payment_method="card",
                       payment_brand="VISA", payment_last4="4242")
    UsageRecordFactory(card=card, occurred_at=jst(2026, 11, 18, 18, 2, 45), kind=UsageKind.CHARGE, from_station="",
                       to_station="", place="大阪", amount=3000, balance=7210, payment_method="cash")
    UsageRecordFactory(card=other, occurred_at=jst(2026, 11, 18, 7, 0), kind=UsageKind.POINT_CHARGE,
                       from_station="", to_station="", amount=500, balance=700)
    UsageRecordFactory(card=card, occurred_at=jst(2026, 11, 1, 0, 0), kind=UsageKind.ADJUSTMENT, from_station="",
                       to_station="", note="運賃調整 =1+1", amount=-10, balance=6990)
    CommuterPassFactory(card=card, paid_at=jst(2026, 10, 31, 23, 59), price=36960, months=3)
    RefundFactory(card=other, refunded_at=jst(2026, 10, 30, 11, 0))
    RefundFactory(card=other, refunded_at=jst(2026, 10, 30, 10, 0), destination_method="bank",
                  destination_brand="", destination_last4="")
    return card.member


def list_items(html: str) -> list[str]:
    """The content of each ``<ol class="lines">`` of a page (its lines, between the
    template's indentation)."""
    return re.findall(r'<ol class="lines">\n      (.*?)\n    </ol>', html, re.S)


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("one_card", [False, True], ids=["all-cards", "one-card"])
def test_the_lines_are_the_markup_the_template_wrote(client, every_kind, card, language, one_card):
    params = {"card": str(card.public_id)} if one_card else {}
    with time_machine.travel(NOW, tick=False):
        client.force_login(every_kind)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        html = client.get(HISTORY, params).content.decode()
        cards = member_cards(every_kind)
        scope = cards.chain(card) if one_card else cards.cards
        query = query_for(scope, first_day=NOW.date() - timedelta(days=300), last_day=None, kinds=None)
        with translation.override(language):
            lines = history_page(query).lines
            months = [[line for line in lines if line.month == month] for month in ((2026, 11), (2026, 10))]
            expected = [
                Template(REFERENCE).render(Context({
                    "items": [
                        {"line": line, "iso": line.local_time.isoformat(), "kind_label": str(HISTORY_KINDS[line.kind])}
                        for line in month
                    ],
                    "many_cards": not one_card,
                }))
                for month in months
            ]

    assert len(lines) == (6 if one_card else 10)
    assert list_items(html) == expected
    if language == "en":
        assert '<span class="line__route"><span lang="ja">どこか駅</span></span>' in html
        assert "Osaka → Kyoto" in html
    assert "カフェ &lt;&quot;&amp;&#x27;&gt;" in html


def test_a_pages_template_work_does_not_grow_with_its_lines(client, card):
    """Each line was fourteen template variables; now the page's are the same for one line or fifty."""
    resolved = []
    original = FilterExpression.resolve

    def counting(self, context, ignore_failures=False):
        resolved.append(self.token)
        return original(self, context, ignore_failures)

    def variables_for(count: int) -> int:
        card.usage_records.all().delete()
        make_usage(card, count, start=jst(2026, 11, 20, 8, 0), step=timedelta(minutes=-1))
        resolved.clear()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(FilterExpression, "resolve", counting)
            response = client.get(HISTORY)
        assert response.content.decode().count('<li class="line ') == count
        return len(resolved)

    with time_machine.travel(NOW, tick=False):
        client.force_login(card.member)
        assert variables_for(1) == variables_for(50)


@pytest.mark.parametrize(
    "value, attrs",
    [
        (None, {"id": "id_from"}),
        ("2026-11-01", {"id": "id_from"}),
        ("xyz<\"'&>", {"aria-invalid": "true", "aria-describedby": "id_to-errors", "id": "id_to"}),
        (None, {"id": "id_to", "required": True, "disabled": False}),
    ],
)
def test_the_date_fields_are_djangos_markup(value, attrs):
    widget = JapanDateInput(attrs={"min": "2025-12-01", "max": "2026-11-25"})

    assert widget.render("from", value, attrs) == forms.DateInput.render(widget, "from", value, attrs)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_filter_options_are_the_markup_the_template_wrote(card, language):
    CardFactory(member=card.member, nickname="買い物用 <b>")
    reference = Engine().from_string(
        '{% for value, label in choices %}<option value="{{ value }}"{% if value == selected %} selected{% endif %}>'
        "{{ label }}</option>{% endfor %}"
    )
    with translation.override(language):
        cards = member_cards(card.member)
        form = HistoryFilterForm({"card": str(card.public_id), "kind": "乗車", "month": "2026-11"},
                                 cards=cards, today=NOW.date())
        for name, options, selected in (
            ("card", form.card_options, str(card.public_id)),
            ("kind", form.kind_options, "ride"),
            ("month", form.month_options, "2026-11"),
        ):
            choices = [(value, str(label)) for value, label in form.fields[name].widget.choices]
            assert options == reference.render(Context({"choices": choices, "selected": selected}))
    assert "買い物用 &lt;b&gt;" in form.card_options


# The results' month loop as history_list.html had it before MonthsFormat.
MONTHS_REFERENCE = """{% load i18n %}  {% for group in groups %}
  <section class="month" aria-labelledby="{{ group.anchor }}">
    <div class="month__head">
      <h3 id="{{ group.anchor }}" class="month__title">{{ group.first_day|date:"YEAR_MONTH_FORMAT" }}</h3>
      <dl class="month__totals">
        <div><dt>{% translate "使った金額" %}</dt><dd>{{ group.total.spent_text }}</dd></div>
        <div><dt>{% translate "チャージ・入金" %}</dt><dd>{{ group.total.received_text }}</dd></div>
        <div class="month__total"><dt>{% translate "残額の増減" %}</dt><dd>{{ group.total.total_text }}</dd></div>
        <div><dt>{% translate "件数" %}</dt><dd>{% blocktranslate count counter=group.total.count %}{{ counter }}件{% plural %}{{ counter }}件{% endblocktranslate %}</dd></div>
      </dl>
      <p class="month__note">{% translate "合計はこの月の、条件に合うすべての利用です（このページに表示していない分も含みます）。" %}</p>
    </div>
    <div class="lines__head" aria-hidden="true">
      <span>{% translate "日時" %}</span><span>{% translate "種別" %}</span><span>{% translate "内容" %}</span><span class="num">{% translate "金額" %}</span><span class="num">{% translate "残額" %}</span>
    </div>
    <ol class="lines">
      {{ group.lines_html }}
    </ol>
  </section>
  {% endfor %}
"""


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_months_are_the_markup_the_template_wrote(every_kind, language):
    """Each month's head, totals (one line and many, money in and out) and column heads."""
    with time_machine.travel(NOW, tick=False):
        cards = member_cards(every_kind)
        query = query_for(cards.cards, first_day=NOW.date() - timedelta(days=300), last_day=None, kinds=None)
        with translation.override(language):
            lines = history_page(query).lines
            totals = {(t.year, t.month): t for t in month_totals(query, (line.month for line in lines))}
            lines_format = LinesFormat(many_cards=True)
            groups = [
                MonthGroup(total=totals[month], lines_html=lines_format.lines_html(month_lines))
                for month, month_lines in groupby(lines, key=attrgetter("month"))
            ]
            groups.append(MonthGroup(total=MonthTotal(2026, 9, total=-580, paid=-580, received=0, count=1),
                                     lines_html=SafeString("")))
            expected = Engine.get_default().from_string(MONTHS_REFERENCE).render(Context({"groups": groups}))
            written = "  " + MonthsFormat().months_html(groups) + "\n"

    assert len(groups) == 3
    assert written == expected


def test_a_pages_words_are_made_once_per_language_and_each_language_keeps_its_own():
    """The months' format, the lines' words, the times' words and the payments' names are
    made the first time a language asks and kept: a page no longer translates them again;
    a page in the other language still gets its own."""
    from cards.history.formatting import when_words
    from cards.history.lines import payment_text
    from cards.history.rendering import line_words, months_format

    made = {}
    for language in ("ja", "en", "ja", "en"):
        with translation.override(language):
            now = (months_format(), line_words(), when_words())
            assert made.setdefault(language, now) == now and all(a is b for a, b in zip(made[language], now, strict=True))
            made[language + " words"] = (payment_text("cash"), payment_text("bank"),
                                         payment_text("card", "MASTERCARD", "4242"), payment_text("card"))
    assert made["ja"][0] is not made["en"][0]
    assert made["ja words"] == ("現金", "銀行口座", "Mastercard ••••4242", "カード")
    assert made["en words"][0] != "現金" and made["en words"][2] == "Mastercard ••••4242"


def test_a_pages_lines_look_up_the_languages_payment_names_once_not_once_a_line(card, monkeypatch):
    """Each look-up of a language's words reads the language, the URL configuration and the
    script prefix from their context-local stores: a page of fifty lines paid by card looks
    the payments' names up once, not fifty times."""
    from portal import per_language

    make_usage(card, 50, start=NOW - timedelta(hours=1), kind=UsageKind.CHARGE, amount=1000,
               from_station="", to_station="")
    card.usage_records.update(payment_method="card", payment_brand="VISA", payment_last4="4242")
    looked_up = []
    real = per_language.get_language
    monkeypatch.setattr(per_language, "get_language", lambda: looked_up.append(1) or real())
    query = query_for([card], first_day=NOW.date() - timedelta(days=30), last_day=None, kinds=None)
    with time_machine.travel(NOW, tick=False), translation.override("en"):
        lines = history_page(query).lines

    assert len(lines) == 50 and {line.payment for line in lines} == {"VISA ••••4242"}
    assert len(looked_up) == 1
