"""マイページ's card faces, written in Python for speed (cards/face_rendering.py), are the
markup home.html's loop and templates/cards/_card_face.html wrote, byte for byte."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.template import Context, Engine
from django.utils import translation

from accounts.tests.factories import MemberFactory
from cards.face_rendering import face_items, faces_format
from cards.models import CardStatus
from cards.selectors import member_card_faces
from cards.tests.factories import CardFactory, CommuterPassFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 25)

# home.html's loop with the face template it included, as they were before cards/face_rendering.py.
REFERENCE = """{% for face in current_faces %}<li>{% load i18n tz stations money %}{% with card=face.card commuter_pass=face.commuter_pass %}{% url 'cards:card-detail' card.public_id as card_url %}
<article class="card-face card-face--{{ card.status }}" aria-labelledby="card-{{ card.public_id }}">
  <div class="card-face__plate">
    <div class="card-face__head">
      <h3 class="card-face__name" id="card-{{ card.public_id }}">
        <a href="{{ card_url }}">{% if card.nickname %}{{ card.nickname }}{% else %}ICOCA <span class="card-face__unnamed">{% translate "（名前なし）" %}</span>{% endif %}</a>
      </h3>
      <span class="status status--{{ card.status }}">{{ card.get_status_display }}</span>
    </div>
    <p class="card-face__number"><span class="visually-hidden">{% translate "ICOCA番号" %} </span>{{ card.masked_number }}</p>
    <p class="card-face__device">{{ card.get_device_display }}</p>
    <div class="card-face__balance">
      <span class="card-face__label">{% translate "残額" %}</span>
      {% if card.balance is not None %}
      <span class="card-face__amount">{{ card.balance|yen }}</span>
      <span class="card-face__as-of">{% blocktranslate with at=card.balance_at|timezone:"Asia/Tokyo"|date:"SHORT_DATETIME_FORMAT" %}{{ at }} 時点{% endblocktranslate %}</span>
      {% else %}
      <span class="card-face__as-of">{% translate "まだ利用の記録がありません" %}</span>
      {% endif %}
    </div>
  </div>
  <div class="card-face__body">
    {% if commuter_pass %}
    <div class="pass{% if face.expires_soon %} pass--warning{% endif %}">
      <p class="pass__title"><span class="pass__kind">{% if commuter_pass.kind == "student" %}{% translate "通学定期券" %}{% else %}{% translate "通勤定期券" %}{% endif %}</span>
        {{ commuter_pass.from_station|place }}⇔{{ commuter_pass.to_station|place }}</p>
      {% if face.not_started %}
      <p class="pass__dates">{% blocktranslate with start=commuter_pass.valid_from|date:"SHORT_DATE_FORMAT" end=commuter_pass.valid_until|date:"SHORT_DATE_FORMAT" %}{{ start }}から{{ end }}まで{% endblocktranslate %}</p>
      {% else %}
      <p class="pass__dates">{% blocktranslate with end=commuter_pass.valid_until|date:"SHORT_DATE_FORMAT" %}{{ end }}まで有効{% endblocktranslate %}<span class="pass__left">{% if face.days_left == 0 %}{% translate "（本日が最終日）" %}{% else %}{% blocktranslate count days=face.days_left %}（あと{{ days }}日）{% plural %}（あと{{ days }}日）{% endblocktranslate %}{% endif %}</span></p>
      {% endif %}
      {% if face.expires_soon %}
      <p class="pass__warning"><strong>{% translate "まもなく有効期限です。" %}</strong>{% translate "続けて使う場合は、モバイルICOCAアプリで継続の定期券を購入してください。" %}</p>
      {% endif %}
      {% if face.renewal %}
      <p class="pass__next">{% blocktranslate with start=face.renewal.valid_from|date:"SHORT_DATE_FORMAT" end=face.renewal.valid_until|date:"SHORT_DATE_FORMAT" %}次の定期券：{{ start }}から{{ end }}まで{% endblocktranslate %}</p>
      {% endif %}
    </div>
    {% endif %}
    {% include "cards/_card_notice.html" %}
    <p class="card-face__more"><a href="{{ card_url }}">{% translate "詳細・名前の変更" %}<span class="visually-hidden">{% blocktranslate with name=card.nickname|default:"ICOCA" %}（{{ name }}）{% endblocktranslate %}</span></a></p>
  </div>
</article>
{% endwith %}
</li>{% endfor %}"""


def reference(faces) -> str:
    return Engine.get_default().from_string(REFERENCE).render(Context({"current_faces": faces}))


def cards_of_every_kind(member):
    """Cards in use of every status, named and not (one with markup in its name), with and
    without a balance, holding passes of every kind a face shows."""
    at = datetime(2026, 11, 24, 23, 5, tzinfo=UTC)  # 11/25 08:05 in Japan
    renewed = CardFactory(member=member, nickname="仕事用 <&>", balance=6540, balance_at=at)
    CommuterPassFactory(card=renewed, valid_from=date(2026, 9, 1), valid_until=date(2026, 11, 30), via="")
    CommuterPassFactory(card=renewed, valid_from=date(2026, 12, 1), valid_until=date(2027, 2, 28))
    CardFactory(member=member, nickname="", balance=None, balance_at=None, device="iphone")
    ending = CardFactory(member=member, status=CardStatus.DEPOSITED, balance=0, balance_at=at, device="apple_watch")
    CommuterPassFactory(card=ending, valid_from=date(2026, 9, 1), valid_until=date(2026, 11, 30),
                        from_station="知らない駅 <&>", to_station="三ノ宮")
    upcoming = CardFactory(member=member, status=CardStatus.SUSPENDED, balance=20000, balance_at=at)
    CommuterPassFactory(card=upcoming, valid_from=date(2026, 12, 1), valid_until=date(2027, 5, 31), kind="student")
    last_day = CardFactory(member=member, nickname="'買い物' & \"週末\"", balance=1, balance_at=at)
    CommuterPassFactory(card=last_day, valid_from=date(2026, 10, 26), valid_until=TODAY, months=1)
    one_day = CardFactory(member=member, balance=220, balance_at=at)
    CommuterPassFactory(card=one_day, valid_from=date(2026, 10, 27), valid_until=date(2026, 11, 26), months=1)
    months = CardFactory(member=member, balance=15000, balance_at=at)
    CommuterPassFactory(card=months, valid_from=date(2026, 11, 1), valid_until=date(2027, 4, 30), months=6)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_faces_are_the_markup_the_template_wrote(language):
    member = MemberFactory()
    cards_of_every_kind(member)
    faces = member_card_faces(member=member, today=TODAY)
    assert {face.card.status for face in faces} == {"active", "deposited", "suspended"}
    assert any(face.expires_soon for face in faces) and any(face.renewal for face in faces)
    assert any(face.not_started for face in faces) and any(face.days_left == 0 for face in faces)

    with translation.override(language):
        assert str(face_items(faces)) == reference(faces)


def test_no_card_no_faces():
    assert face_items([]) == ""


def test_a_past_card_keeps_its_template():
    member = MemberFactory()
    CardFactory(member=member, status=CardStatus.REFUNDED)
    with pytest.raises(ValueError, match="in use"):
        face_items(member_card_faces(member=member, today=TODAY))


def test_the_words_and_formats_are_made_once_per_language():
    with translation.override("ja"):
        japanese = faces_format()
        assert faces_format() is japanese
    with translation.override("en"):
        english = faces_format()
    assert english is not japanese
    assert (japanese.balance_term, english.balance_term) == ("残額", "Balance")
