"""/documents/ written in Python for speed: the list's rows (billing/documents/list_rows.py)
and the forms' fields (billing/documents/forms.py: ShownFields, unbound_fields) are the
markup the template and its includes wrote, byte for byte; the list is read with written-out
SQL (selectors.DocumentList), and the page's queries do not grow with its documents."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.db.models.fields.json import KeyTransform
from django.db.models.sql.compiler import SQLCompiler
from django.template import engines
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from accounts.tests.factories import MemberFactory
from billing.documents import forms as document_forms
from billing.documents import list_rows, selectors
from billing.documents.models import Document, DocumentKind
from billing.documents.views import _card_payments, _usage_form, _usage_form_arguments
from billing.tests.document_data import month_of_payments
from cards.history.selectors import member_cards
from cards.models import Card, CommuterPass, UsageRecord
from cards.tests.factories import CardFactory
from cards.tests.history_factories import RefundFactory
from cards.window import earliest_date, japan_today

pytestmark = pytest.mark.django_db
JAPAN = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=JAPAN)
TOKEN = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+"')

# The list's loop as templates/billing/document_list.html wrote it before list_rows.py,
# with its two includes (still the document page's), over the documents the ORM read.
REFERENCE = """{% load i18n money %}{% for document in documents %}
    <li class="doc-item panel" id="doc-{{ document.public_id }}">
      <div class="doc-item__head">
        <h3 class="doc-item__title"><a href="{% url 'documents:document-detail' document.public_id %}">{{ document.get_kind_display }}</a></h3>
        <span class="doc-number">{{ document.number }}{% if document.reissue_count %} <span class="tag">{% blocktranslate with count=document.reissue_count %}再発行{{ count }}回{% endblocktranslate %}</span>{% endif %}</span>
      </div>
      <dl class="facts facts--compact doc-item__facts">
        <div><dt>{% translate "対象" %}</dt><dd>{% include "billing/_document_scope.html" with scope=document.content_scope card=document.content_card %}</dd></div>
        <div><dt>{% translate "金額" %}</dt><dd>{{ document.total_amount|yen }}</dd></div>
        <div><dt>{% translate "言語" %}</dt><dd>{{ document.get_language_display }}</dd></div>
      </dl>
      {% include "billing/_document_status.html" %}
    </li>
    {% endfor %}"""
# A field as the template wrote it, and the language field (billing/_document_language_field.html).
FIELD = '<div class="field"><label for="{{ f.id_for_label }}">{{ f.label }}</label>{{ f }}{{ f.errors }}</div>'
LANGUAGE_FIELD = '{% include "billing/_document_language_field.html" with field=f %}'
ERRORS = ('{% if form.non_field_errors %}<div role="alert"><ul class="errorlist">{% for e in form.non_field_errors %}'
          "<li>{{ e }}</li>{% endfor %}</ul></div>{% endif %}")


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def old_search(member, search: selectors.DocumentSearch):
    """The list's read as the ORM made it before DOCUMENT_PAGE_SQL (selectors.search_documents)."""
    found = (
        Document.objects.filter(member=member, reissue_of__isnull=True).order_by("-requested_at", "-id")
        .defer("content")
        .annotate(content_scope=KeyTransform("scope", "content"),
                  content_card=KeyTransform("0", KeyTransform("cards", "content")))
        .select_related("refund", "member")
    )
    if search.kind in DocumentKind.values:
        found = found.filter(kind=search.kind)
    if search.amount_min is not None:
        found = found.filter(total_amount__gte=search.amount_min)
    return found


def every_kind_and_status(member) -> list[Document]:
    """Documents of every kind and status, with what needs escaping and every scope."""
    at = datetime(2026, 11, 3, 23, 30, tzinfo=JAPAN)
    refund = RefundFactory(card=CardFactory(member=member), refunded_at=datetime(2026, 10, 31, 23, 30, tzinfo=JAPAN))
    made = []

    def document(**fields):
        n = len(made) + 1
        values = {
            "member": member, "kind": "receipt", "number": f"R-202611-{member.pk}-{n:04d}<&\">", "language": "ja",
            "total_amount": 1234567 + n, "issuer_name": "x", "issuer_registration_number": "T1",
            "requested_at": at + timedelta(minutes=n), "period_start": date(2026, 10, 1),
            "period_end": date(2026, 10, 31), **fields,
        }
        if values.get("status") == "ready":
            values.update(file="documents/x.pdf", sha256="a" * 64, first_issued_at=values.get("first_issued_at", at))
        made.append(Document.objects.create(**values))
        return made[-1]

    document(status="pending")
    document(status="rendering", language="en", payment_ref="charge:1", period_start=date(2026, 11, 2),
             period_end=date(2026, 11, 2))
    document(status="failed")
    document(status="ready")
    document(status="ready", emailed_at=at + timedelta(hours=15, minutes=7))
    document(status="ready", email_failed_reason="smtp <down>")
    original = document(status="ready", reissue_count=2, language="en")
    document(status="ready", origin="reprint", reissue_of=original, number=original.number)
    document(kind="refund_statement", refund=refund, status="ready", period_start=None, period_end=None)
    document(kind="refund_statement", refund=refund, status="failed", period_start=None, period_end=None)
    cards = [{"nickname": "", "number": "JW•••0001"}, {"nickname": '仕事<&>"用"', "number": "JW•••<2>"}]
    for n, scope in enumerate([
        {"name": "all", "card": None, "stations": None},
        {"name": "transit", "card": "abc", "stations": None},
        {"name": "ride", "card": None, "stations": None},
        {"name": "bus", "card": "x", "stations": None},
        {"name": "purchase", "card": None, "stations": None},
        {"name": "route", "card": None, "stations": ["大阪", "三ノ宮"]},
        {"name": "route", "card": "c", "stations": ["<謎>駅", "京都"]},
        {"name": "route", "card": None, "stations": None},
    ]):
        document(kind="usage_history", status=["ready", "pending", "failed", "rendering"][n % 4], scope=str(scope),
                 content={"scope": scope, "cards": [cards[n % 2]], "lines": []}, language=["ja", "en"][n % 2])
    document(kind="usage_history", status="ready", content={"lines": []})  # before scopes were stored
    return made


def page_request(member):
    request = RequestFactory().get("/documents/")
    request.user = member
    return request


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("has_email", [True, False])
def test_the_rows_are_the_templates(language, has_email):
    member = MemberFactory(email="hanako@example.jp" if has_email else "")
    every_kind_and_status(member)
    with translation.override(language):
        request = page_request(member)
        search = selectors.DocumentSearch()
        expected = engines["django"].from_string(REFERENCE).render(
            {"documents": list(old_search(member, search))}, request
        )
        rows = list_rows.RowsFormat(
            csrf_token="token", has_email=has_email, support_center=lambda: list_rows.support_center_html(request),
        ).rows_html(selectors.DocumentList(member, search)[0:100])

    assert rows.count('<li class="doc-item panel"') == 18  # the reprint is reached from its original
    assert TOKEN.sub(r'\1"', rows) == TOKEN.sub(r'\1"', expected)
    assert "&lt;謎&gt;" in rows and f"R-202611-{member.pk}-0001&lt;&amp;&quot;&gt;" in rows


def test_a_search_finds_the_same_documents_as_the_orm():
    member = MemberFactory()
    every_kind_and_status(member)
    every_kind_and_status(MemberFactory())  # another member's
    for search in (selectors.DocumentSearch(), selectors.DocumentSearch(kind="usage_history"),
                   selectors.DocumentSearch(amount_min=1234575), selectors.DocumentSearch(kind="nope")):
        found = selectors.DocumentList(member, search)
        assert found.count() == old_search(member, search).count()
        assert [d.pk for d in found[0:100]] == [d.pk for d in old_search(member, search)]
        assert [d.pk for d in found[3:7]] == [d.pk for d in old_search(member, search)[3:7]]
    day = selectors.DocumentSearch(issued_from=date(2026, 11, 3), issued_to=date(2026, 11, 3))
    issued = Document.objects.filter(member=member, reissue_of=None, first_issued_at__date=date(2026, 11, 3))
    assert selectors.DocumentList(member, day).count() == issued.count() == 8  # ready originals, 3 Nov in Japan
    assert selectors.DocumentList(member, selectors.DocumentSearch(issued_from=date(2026, 11, 4))).count() == 0


def test_the_rows_read_without_compiling_a_query(monkeypatch):
    member = MemberFactory()
    every_kind_and_status(member)
    compiled = []
    as_sql = SQLCompiler.as_sql
    monkeypatch.setattr(SQLCompiler, "as_sql", lambda self, *a, **k: compiled.append(self) or as_sql(self, *a, **k))
    found = selectors.DocumentList(member, selectors.DocumentSearch())
    with CaptureQueriesContext(connection) as queries:
        assert found.count() == 18
        documents = found[0:20]
        assert all(document.member is member for document in documents)
        list_rows.RowsFormat(csrf_token="t", has_email=True, support_center=lambda: "").rows_html(documents)
    assert len(queries) == 2 and not compiled


def test_the_pages_queries_do_not_grow_with_its_documents(client):
    """The count and the page of the documents, the cards, the payments: the same queries for
    one document and for a page of twenty of every kind; without documents, no page to read."""
    member = MemberFactory()
    month_of_payments(member)
    client.force_login(member)

    def queries() -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/documents/").status_code == 200
        return [query["sql"] for query in captured if "django_session" not in query["sql"] and "SAVEPOINT" not in query["sql"]]

    client.get("/documents/")  # the session's first use
    none = queries()
    Document.objects.create(member=member, kind="receipt", number="R-1", language="ja", total_amount=1,
                            issuer_name="x", issuer_registration_number="T1", status="pending")
    one = queries()
    every_kind_and_status(member)
    many = queries()
    assert len(one) == len(many) == len(none) + 1
    assert not any(table in sql for sql in many for table in ('"cards_card"."', '"billing_document"."'))


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_fields_are_the_templates(language):
    """ShownFields writes each field as the template did, bound with errors or not, and
    unbound_fields gives the same as a form made on the page."""
    member = MemberFactory()
    month_of_payments(member)
    month_of_payments(member, month=11)
    CardFactory(member=member, nickname='<仕事&"用">')
    engine = engines["django"]
    with translation.override(language):
        today = japan_today()
        found = _card_payments(member, today)
        cards = member_cards(member)
        made = {
            "month": [document_forms.MonthForm(today=today),
                      document_forms.MonthForm({"month": "1999-01", "language": "fr"}, today=today)],
            "period": [document_forms.PeriodForm(today=today),
                       document_forms.PeriodForm({"start": "2026-11-05", "end": '"><b>'}, today=today)],
            "payment": [document_forms.PaymentForm(card_payments=found),
                        document_forms.PaymentForm({"payment": "charge:<nope>"}, card_payments=found)],
            "usage": [_usage_form(member, today, member_cards=cards),
                      _usage_form(member, today, {"start": "x", "end": "2026-11-01", "scope": "route",
                                                  "station_a": '大阪"<'})],
            "search": [document_forms.SearchForm(None),
                       document_forms.SearchForm({"amount_min": "5", "amount_max": "1", "issued_from": "2026-13-01",
                                                  "kind": "bogus"})],
        }
        for forms in made.values():
            for form in forms:
                shown = document_forms.ShownFields(form)
                assert shown.errors == engine.from_string(ERRORS).render({"form": form})
                for name in form.fields:
                    template = LANGUAGE_FIELD if name == "language" else FIELD
                    assert shown[name] + ("\n" if name == "language" else "") == engine.from_string(template).render(
                        {"f": form[name], "field": form[name]}
                    ), name
                assert shown.every == "".join(shown[name] for name in form.fields)
        assert all(forms[1].errors for forms in made.values())

        unbound = {
            "month": document_forms.unbound_fields(document_forms.MonthForm, today=today),
            "period": document_forms.unbound_fields(document_forms.PeriodForm, today=today),
            "search": document_forms.unbound_fields(document_forms.SearchForm),
            "payment": document_forms.member_fields(
                made["payment"][0], "payment",
                document_forms.unbound_fields(document_forms.PaymentForm, card_payments=()),
            ),
            "usage": document_forms.member_fields(
                made["usage"][0], "card",
                document_forms.unbound_fields(document_forms.UsageHistoryForm,
                                              **_usage_form_arguments(today, cards=[])),
            ),
        }
        for name, fields in unbound.items():
            shown = document_forms.ShownFields(made[name][0])
            assert fields == {**{field: shown[field] for field in made[name][0].fields},
                              "every": fields["every"], "errors": ""}, name
        assert unbound["search"]["every"] == document_forms.ShownFields(made["search"][0]).every
        assert "&lt;仕事&amp;&quot;用&quot;&gt;" in unbound["usage"]["card"]
        assert document_forms.unbound_fields(document_forms.MonthForm, today=today) is unbound["month"]


def test_the_unbound_fields_follow_the_language_and_the_day():
    today = japan_today()
    with translation.override("ja"):
        japanese = document_forms.unbound_fields(document_forms.MonthForm, today=today)
    with translation.override("en"):
        english = document_forms.unbound_fields(document_forms.MonthForm, today=today)
        next_month = document_forms.unbound_fields(document_forms.MonthForm, today=today + timedelta(days=31))
    assert "2026年11月" in japanese["month"] and "Nov 2026" in english["month"]
    assert english["month"] != next_month["month"]
    assert earliest_date(today).isoformat() in document_forms.unbound_fields(
        document_forms.PeriodForm, today=today)["start"]


def test_the_card_payments_are_one_statement_with_the_orms_rows():
    member = MemberFactory()
    month_of_payments(member)
    month_of_payments(member, month=11, charges=6)
    cards = member_cards(member).cards
    today = japan_today()
    with CaptureQueriesContext(connection) as queries:
        found = _card_payments(member, today, cards)
    assert len(queries) == 1 and "UNION ALL" in queries[0]["sql"]
    start = datetime(*earliest_date(today).timetuple()[:3], tzinfo=JAPAN)
    charges = UsageRecord.objects.filter(card__member=member, kind="charge", payment_method="card",
                                         occurred_at__gte=start, occurred_at__lt=NOW)
    passes = CommuterPass.objects.filter(card__member=member, payment_method="card", paid_at__gte=start,
                                         paid_at__lt=NOW)
    expected = sorted(
        [(c.occurred_at, 1, c.pk, f"charge:{c.center_id}", c.amount, c.card_id) for c in charges]
        + [(p.paid_at, 0, p.pk, f"pass:{p.center_id}", p.price, p.card_id) for p in passes],
        reverse=True,
    )
    assert len(found) == len(expected) > 12
    assert [(p.ref, p.at, p.amount, p.card.pk) for p in found] == [
        (ref, at, amount, card) for at, _charge, _pk, ref, amount, card in expected
    ]
    bought = next(p for p in found if p.commuter_pass)
    assert bought.commuter_pass.card is bought.card and isinstance(bought.card, Card)
    assert bought.commuter_pass.months == CommuterPass.objects.get(pk=bought.commuter_pass.pk).months  # deferred
    assert uuid.UUID(str(bought.card.public_id))
