"""`manage.py load_prepare` (the load harness's sessions and opt-ins) and the bare view."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import clear_url_caches, reverse
from django.urls.exceptions import NoReverseMatch

from accounts.models import Member
from accounts.tests.factories import MemberFactory
from cards.models import PaymentMethodKind, UsageKind
from cards.tests.factories import CardFactory, CommuterPassFactory, UsageRecordFactory

pytestmark = pytest.mark.django_db


def test_sessions_sign_the_members_in(tmp_path):
    members = [CardFactory().member for _ in range(3)]
    MemberFactory()  # no card: not a seeded member
    output = tmp_path / "sessions.jsonl"
    call_command("load_prepare", "--sessions", "5", "--output", str(output))
    lines = [json.loads(line) for line in output.read_text().splitlines()]
    assert sorted(line["member"] for line in lines) == sorted(m.pk for m in members)
    client = Client()
    client.cookies[lines[0]["cookie"]] = lines[0]["session"]
    page = client.get("/")
    assert page.status_code == 200
    assert page.wsgi_request.user.pk == lines[0]["member"]


def test_opt_in_sets_the_first_members_and_only_them():
    first, second, third = (CardFactory(member=MemberFactory(email="")).member for _ in range(3))
    call_command("load_prepare", "--opt-in", "2")
    for member in (first, second, third):
        member.refresh_from_db()
    assert (first.email_monthly_statement, second.email_monthly_statement, third.email_monthly_statement) == (
        True, True, False)
    assert first.email == "member@example.jp"


def test_with_a_month_the_members_opted_in_are_those_who_paid_by_card_in_it():
    nothing, cash, card, pass_buyer = (CardFactory(member=MemberFactory()) for _ in range(4))
    in_november = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
    UsageRecordFactory(card=cash, kind=UsageKind.CHARGE, payment_method=PaymentMethodKind.CASH, occurred_at=in_november)
    UsageRecordFactory(card=card, kind=UsageKind.CHARGE, payment_method=PaymentMethodKind.CARD, occurred_at=in_november)
    UsageRecordFactory(card=nothing, kind=UsageKind.CHARGE, payment_method=PaymentMethodKind.CARD,
                       occurred_at=datetime(2026, 10, 31, 14, 59, tzinfo=UTC))  # 23:59 on 31 Oct in Japan
    CommuterPassFactory(card=pass_buyer, payment_method=PaymentMethodKind.CARD, paid_at=in_november)
    call_command("load_prepare", "--opt-in", "3", "--monthly", "2026-11")
    opted = set(Member.objects.filter(email_monthly_statement=True).values_list("pk", flat=True))
    assert opted == {card.member_id, pass_buyer.member_id}  # a statement each; the others would get none


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--sessions", "2"], "--sessions needs --output"),
        (["--sessions", "-1", "--output", "x"], "must not be negative"),
        (["--opt-in", "1", "--monthly", "2026-13"], "is not a month"),
        (["--opt-in", "1", "--monthly", "November"], "is not a month"),
    ],
)
def test_bad_input_is_refused(arguments, message):
    CardFactory()
    with pytest.raises(CommandError, match=message):
        call_command("load_prepare", *arguments)


def test_no_seeded_members_is_said():
    with pytest.raises(CommandError, match="no seeded members"):
        call_command("load_prepare", "--opt-in", "1")


def test_refused_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="never in production"):
        call_command("load_prepare", "--opt-in", "1")


def test_monthly_forgets_that_months_statements_only(tmp_path, settings):
    from billing.models import Document

    settings.MEDIA_ROOT = tmp_path
    member = CardFactory().member
    common = {"member": member, "kind": "receipt", "content": "{}", "total_amount": 0, "language": "ja",
              "issuer_name": "x", "issuer_registration_number": "T1234567890123", "addressee_name": "x"}
    Document.objects.create(origin="monthly", number="R-1", period_start=date(2026, 10, 1),
                            period_end=date(2026, 10, 31), **common)
    kept = Document.objects.create(origin="monthly", number="R-2", period_start=date(2026, 9, 1),
                                   period_end=date(2026, 9, 30), **common)
    call_command("load_prepare", "--monthly", "2026-10")
    assert list(Document.objects.all()) == [kept]


def test_the_bare_view_exists_only_when_asked_for():
    with pytest.raises(NoReverseMatch):
        reverse("load-baseline")
    assert Client().get("/load/baseline").status_code == 404


def test_the_bare_view_reads_one_row(settings):
    import importlib

    import portal.urls

    settings.LOAD_BASELINE_VIEW = True
    try:
        importlib.reload(portal.urls)
        clear_url_caches()
        member = MemberFactory()
        answer = Client().get("/load/baseline")
        assert answer.status_code == 200
        assert answer.content.decode().strip() == str(member.pk)
    finally:
        settings.LOAD_BASELINE_VIEW = False
        importlib.reload(portal.urls)
        clear_url_caches()
