"""/documents/ without the template engine in its widgets: the forms' HTML is Django's, built
in Python (portal/widgets.py), and the page renders no widget template however many payments
the member has."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.forms.renderers import get_default_renderer
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from accounts.tests.factories import MemberFactory
from billing.documents.forms import MonthForm, PaymentForm, PeriodForm, SearchForm, UsageHistoryForm
from billing.documents.views import _card_payments
from billing.tests.document_data import month_of_payments
from cards import payments
from cards.models import PaymentMethodKind, UsageKind
from cards.tests.factories import CardFactory, UsageRecordFactory
from cards.window import japan_today

pytestmark = pytest.mark.django_db
JAPAN = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=JAPAN)


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def hanako():
    """100 card charges on a card whose name needs escaping, and two passes."""
    member = MemberFactory(name="山田 花子", email="hanako@example.jp")
    card = CardFactory(member=member, nickname='<仕事&"用">')
    for n in range(100):
        UsageRecordFactory(
            card=card, occurred_at=NOW - timedelta(days=2 + n * 3, hours=n % 5, minutes=n), kind=UsageKind.CHARGE,
            amount=1000 + (n % 7) * 500, balance=9000, from_station="", to_station="", place="モバイルICOCA",
            payment_method=PaymentMethodKind.CARD, payment_brand="VISA", payment_last4="4242",
        )
    month_of_payments(member)
    return member


def as_django_renders(form_class, *args, **kwargs) -> None:
    """Every field of the form (widget and errors) as the project renders it and as
    Django's own widget templates do: the same HTML."""
    ours = form_class(*args, **kwargs)
    djangos = form_class(*args, renderer=get_default_renderer(), **kwargs)
    assert ours.renderer is not djangos.renderer
    for name in ours.fields:
        assert str(ours[name]) == str(djangos[name]), name
        assert str(ours[name].errors) == str(djangos[name].errors), name
    assert str(ours.non_field_errors()) == str(djangos.non_field_errors())


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_forms_html_is_djangos_widget_html(hanako, language):
    today = japan_today()
    with translation.override(language):
        found = _card_payments(hanako, today)
        assert len(found) > 100
        chosen = found[37].ref
        as_django_renders(PaymentForm, card_payments=found)
        as_django_renders(PaymentForm, {"mode": "payment", "payment": chosen, "language": "fr"}, card_payments=found)
        as_django_renders(PaymentForm, {"mode": "payment", "payment": "charge:<nope>"}, card_payments=found)
        as_django_renders(PaymentForm, {"mode": "payment"}, card_payments=found)
        as_django_renders(PaymentForm, card_payments=[])
        as_django_renders(MonthForm, today=today)
        as_django_renders(MonthForm, {"month": "1999-01", "language": "en"}, today=today)
        as_django_renders(PeriodForm, today=today)
        as_django_renders(PeriodForm, {"start": "2026-11-05", "end": '"><b>'}, today=today)
        cards = [("c1", "仕事用 JW•••0001"), ("c<2>", 'A&"B"')]
        as_django_renders(UsageHistoryForm, today=today, cards=cards, initial={"start": today, "end": today})
        as_django_renders(UsageHistoryForm, {"card": "c<2>", "start": "x", "end": "2026-11-01", "scope": "route",
                                             "station_a": '大阪"<'}, today=today, cards=cards)
        as_django_renders(SearchForm)
        as_django_renders(SearchForm, {"amount_min": "5", "amount_max": "1", "issued_from": "2026-13-01",
                                       "kind": "receipt"})

        form = PaymentForm({"payment": chosen, "language": "fr"}, card_payments=found)
        select = str(form["payment"])
        assert select.count("<option ") == len(found)
        assert select.count(" selected") == 1
        assert f'<option value="{chosen}" selected data-search="' in select
        assert "&lt;仕事&amp;&quot;用&quot;&gt;" in select


def test_the_page_renders_no_widget_template(client, hanako):
    """A hundred payments are a hundred options, not a hundred template renders."""
    client.force_login(hanako)
    response = client.get("/documents/")
    assert response.status_code == 200
    assert response.content.decode().count('data-search="') > 100
    rendered = [template.name for template in response.templates]
    assert "billing/document_list.html" in rendered
    assert [name for name in rendered if name and name.startswith("django/forms/widgets/")] == []


def test_the_payments_share_their_cards(hanako):
    """The member's cards are read once, not once for every payment with its row."""
    start, end = NOW - timedelta(days=365), NOW
    with CaptureQueriesContext(connection) as queries:
        found = payments.member_card_payments(hanako, start=start, end=end)
    assert len(queries) == 2  # the cards, the charges and passes (CARD_PAYMENTS_SQL)
    assert len(found) > 100
    assert len({id(payment.card) for payment in found}) == 3
    assert [(p.ref, p.at, p.amount, p.card.pk) for p in found] == sorted(
        [(f"charge:{c.center_id}", c.occurred_at, c.amount, c.card_id)
         for c in payments.member_card_charges(hanako, start=start, end=end)]
        + [(f"pass:{p.center_id}", p.paid_at, p.price, p.card_id)
           for p in payments.member_card_pass_purchases(hanako, start=start, end=end)],
        key=lambda row: row[1], reverse=True,
    )
    bought = next(payment for payment in found if payment.kind == payments.PASS)
    assert (bought.commuter_pass.from_station, bought.commuter_pass.to_station) == ("大阪", "三ノ宮")
