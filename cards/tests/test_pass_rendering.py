"""The card page's passes, written in Python for speed (cards/pass_rendering.py), are the
markup templates/cards/card_detail.html's loop wrote, byte for byte."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.template import Context, Engine
from django.utils import translation
from django.utils.safestring import SafeData, mark_safe

from cards.pass_rendering import pass_items
from cards.selectors import card_pass_history
from cards.tests.factories import CardFactory, CommuterPassFactory
from cards.tests.history_factories import RefundFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 25)

# The loop as the template wrote it before cards/pass_rendering.py.
REFERENCE = """{% load i18n tz money stations %}{% for line in pass_lines %}{% with commuter_pass=line.commuter_pass %}
    <li class="pass-history__item{% if line.state == "past" or line.state == "refunded" %} pass-history__item--past{% endif %}">
      <p class="pass-history__title">
        <strong>{{ commuter_pass.from_station|place }}⇔{{ commuter_pass.to_station|place }}</strong>
        {% if line.state == "refunded" %}<span class="tag">{% translate "払いもどし済み" %}</span>{% elif line.state == "past" %}<span class="tag">{% translate "期限切れ" %}</span>{% elif line.state == "upcoming" %}<span class="tag tag--next">{% translate "これから" %}</span>{% else %}<span class="tag tag--current">{% translate "有効" %}</span>{% endif %}
      </p>
      <dl class="facts facts--compact">
        {% if commuter_pass.via %}<div><dt>{% translate "経由" %}</dt><dd>{{ commuter_pass.via|place }}</dd></div>{% endif %}
        <div><dt>{% translate "種類" %}</dt><dd>{% if commuter_pass.kind == "student" %}{% translate "通学定期券" %}{% else %}{% translate "通勤定期券" %}{% endif %}（{% blocktranslate count months=commuter_pass.months %}{{ months }}か月{% plural %}{{ months }}か月{% endblocktranslate %}）</dd></div>
        <div><dt>{% translate "有効期間" %}</dt><dd>{{ commuter_pass.valid_from|date:"SHORT_DATE_FORMAT" }} 〜 {{ commuter_pass.valid_until|date:"SHORT_DATE_FORMAT" }}{% if line.state == "current" %}<span class="pass-history__left{% if line.expires_soon %} pass-history__left--soon{% endif %}">{% if line.days_left == 0 %}{% translate "（本日が最終日）" %}{% else %}{% blocktranslate count days=line.days_left %}（あと{{ days }}日）{% plural %}（あと{{ days }}日）{% endblocktranslate %}{% endif %}</span>{% endif %}</dd></div>
        <div><dt>{% translate "発売額" %}</dt><dd>{{ commuter_pass.price|yen }}</dd></div>
        <div><dt>{% translate "支払い" %}</dt><dd>{% if commuter_pass.payment_method == "card" %}{{ commuter_pass.get_payment_brand_display }} ••••{{ commuter_pass.payment_last4 }}{% else %}{{ commuter_pass.get_payment_method_display }}{% endif %}<span class="hint">{% blocktranslate with day=commuter_pass.paid_at|timezone:"Asia/Tokyo"|date:"SHORT_DATE_FORMAT" %}（{{ day }} 購入）{% endblocktranslate %}</span></dd></div>
      </dl>
    </li>
    {% endwith %}{% endfor %}"""


def reference(lines) -> str:
    return Engine.get_default().from_string(REFERENCE).render(Context({"pass_lines": lines}))


def passes_of_every_kind(card):
    """Passes in every state, of both kinds, paid every way, with and without a via."""
    CommuterPassFactory(card=card, valid_from=date(2026, 1, 1), valid_until=date(2026, 3, 31))  # past
    refunded = CommuterPassFactory(card=card, valid_from=date(2026, 4, 1), valid_until=date(2026, 12, 31), months=6)
    RefundFactory(card=card, commuter_pass=refunded)
    CommuterPassFactory(  # current, its last day, student, cash, no via
        card=card, valid_from=date(2026, 10, 26), valid_until=TODAY, months=1, kind="student", via="",
        payment_method="cash", payment_brand="", payment_last4="",
    )
    CommuterPassFactory(  # current, ends in a day (singular), points
        card=card, valid_from=date(2026, 10, 27), valid_until=date(2026, 11, 26), months=1,
        payment_method="points", payment_brand="", payment_last4="",
    )
    CommuterPassFactory(  # current, ends soon, a station the dictionary does not know
        card=card, valid_from=date(2026, 9, 1), valid_until=date(2026, 11, 30), from_station="知らない駅 <&>",
        via="'近鉄' & \"JR\"", payment_brand="AMEX", payment_last4="0005",
        paid_at=datetime(2026, 8, 31, 16, 30, tzinfo=UTC),  # 9/1 in Japan
    )
    CommuterPassFactory(  # current, months left
        card=card, valid_from=date(2026, 11, 1), valid_until=date(2027, 4, 30), months=6, payment_brand="MASTERCARD",
    )
    CommuterPassFactory(card=card, valid_from=date(2027, 5, 1), valid_until=date(2027, 7, 31))  # upcoming


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_passes_are_the_markup_the_template_wrote(language):
    card = CardFactory(nickname="仕事用")
    passes_of_every_kind(card)
    lines = card_pass_history(card, today=TODAY)
    assert {line.state for line in lines} == {"past", "refunded", "current", "upcoming"}

    with translation.override(language):
        assert str(pass_items(lines)) == reference(lines)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_refunded_cards_passes_are_the_markup_the_template_wrote(language):
    card = CardFactory(refunded=True)
    passes_of_every_kind(card)
    lines = card_pass_history(card, today=TODAY)

    with translation.override(language):
        assert str(pass_items(lines)) == reference(lines)


def test_no_passes_no_markup():
    assert pass_items([]) == ""


def test_the_words_are_not_escaped_as_translate_does_not_escape_them(monkeypatch):
    """``{% translate "..." %}`` trusts a literal's translation (Receipts & statements):
    so do the passes' words, while the data in them is escaped."""

    def translated(message):
        result = f"{message} & <b>"
        return mark_safe(result) if isinstance(message, SafeData) else result  # noqa: S308 (a test's fake)

    card = CardFactory()
    passes_of_every_kind(card)
    lines = card_pass_history(card, today=TODAY)
    monkeypatch.setattr(translation._trans, "gettext", translated, raising=False)

    assert "経由 & <b>" in pass_items(lines)
    assert str(pass_items(lines)) == reference(lines)
