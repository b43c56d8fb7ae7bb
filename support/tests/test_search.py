"""One search box: WESTER ID, name (partial), e-mail, ICOCA number (whole
or its last 4–6 characters). Runs on SQLite and on PostgreSQL (where the
trigram and reversed-number indexes answer)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.tests.factories import MemberFactory
from cards.tests.factories import CardFactory
from support.selectors import member_search_ids, search_kinds
from support.tests.helpers import agent, staff_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    hanako = MemberFactory(wester_id="W-1001", name="山田 花子", email="hanako.yamada@example.jp")
    taro = MemberFactory(wester_id="W-1002", name="田中 太郎", email="taro@example.com")
    kana = MemberFactory(wester_id="W-1003", name="やまだ はなこ", email="kana@example.jp")
    CardFactory(member=hanako, icoca_number="JW7A0000000123456")
    CardFactory(member=taro, icoca_number="JW7A00000009Z8Y7X")
    return hanako, taro, kana


def found(term):
    ids, _ = member_search_ids(term)
    return set(ids)


@pytest.mark.parametrize(
    ("term", "who"),
    [
        ("W-1001", {"hanako"}),
        ("山田", {"hanako"}),
        ("花子", {"hanako"}),
        ("山田 花子", {"hanako"}),
        ("田花", set()),
        ("田中太", set()),
        ("田中 太", {"taro"}),
        ("やまだ", {"kana"}),
        ("はなこ", {"kana"}),
        ("hanako.yamada@example.jp", {"hanako"}),
        ("HANAKO.YAMADA@", {"hanako"}),
        ("@example.com", {"taro"}),
        ("JW7A0000000123456", {"hanako"}),
        ("jw7a0000000123456", {"hanako"}),
        ("3456", {"hanako"}),
        ("23456", {"hanako"}),
        ("123456", {"hanako"}),
        ("9z8y7x", {"taro"}),
        ("Ｚ８Ｙ７Ｘ", {"taro"}),
        ("0000", set()),
        ("", set()),
    ],
)
def test_search_by_each_key(people, term, who):
    names = {"hanako": people[0].pk, "taro": people[1].pk, "kana": people[2].pk}
    assert found(term) == {names[n] for n in who}


def test_what_a_term_is_taken_for():
    assert [k.code for k in search_kinds("JW7A0000000123456")] == ["icoca_number"]
    assert [k.code for k in search_kinds("a@b.jp")] == ["wester_id", "email"]
    assert [k.code for k in search_kinds("3456")] == ["wester_id", "icoca_tail", "name"]
    assert [k.code for k in search_kinds("山田")] == ["wester_id", "name"]


def test_staff_accounts_are_never_found(people):
    staff = staff_in(None, username="ops-admin")
    staff.name = "山田 管理"
    staff.save()
    CardFactory(member=staff, icoca_number="JW7A0000000777777")
    assert staff.pk not in found("山田")
    assert staff.pk not in found("777777")


def test_the_member_list_answers_a_search_and_shows_nothing_without_one(client, people):
    client.force_login(agent())
    url = reverse("admin:accounts_member_changelist")
    assert list(client.get(url).context["cl"].result_list) == []
    response = client.get(url, {"q": "3456"})
    assert [m.pk for m in response.context["cl"].result_list] == [people[0].pk]
    assert "山田 花子" in response.content.decode()


def test_a_search_with_many_results_reads_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    for n in range(60):
        CardFactory(member=MemberFactory(), icoca_number=f"JW7A{n:05d}00004321")
    client.force_login(agent())
    url = reverse("admin:accounts_member_changelist")
    client.get(url, {"q": "4321"})
    with django_assert_max_num_queries(16):
        response = client.get(url, {"q": "4321"})
    assert len(response.context["cl"].result_list) == 50


@pytest.mark.parametrize(
    ("term", "who"),
    [
        ("HANAKO", {"hanako"}),
        ("hanako", {"hanako"}),
        ("Yamada", {"hanako"}),
        ("yamada hanako", {"hanako"}),
        ("HANAKO YAMADA", {"hanako"}),
        ("YAMA", {"hanako"}),
        ("TANAKA", {"taro"}),
        ("TANAKA HANAKO", set()),
        ("ＨＡＮＡＫＯ", {"hanako"}),
        ("SUZUKI", set()),
    ],
)
def test_search_finds_members_by_romaji(term, who):
    hanako = MemberFactory(wester_id="W-2001", name="山田 花子", last_name="YAMADA", first_name="HANAKO")
    taro = MemberFactory(wester_id="W-2002", name="田中 太郎", last_name="Tanaka", first_name="Taro")
    names = {hanako.pk: "hanako", taro.pk: "taro"}
    assert {names[pk] for pk in found(term)} == who


def test_each_member_a_search_lists_gets_an_audit_entry(client):
    from accounts.models import AuditEvent

    hanako = MemberFactory(wester_id="W-3001", name="山田 花子", last_name="YAMADA", first_name="HANAKO")
    other = MemberFactory(wester_id="W-3002", name="山田 太郎", last_name="YAMADA", first_name="TARO")
    MemberFactory(wester_id="W-3003", name="田中 一郎", last_name="TANAKA", first_name="ICHIRO")
    staff = agent()
    client.force_login(staff)

    response = client.get(reverse("admin:accounts_member_changelist"), {"q": "YAMADA"})

    assert response.status_code == 200
    entries = AuditEvent.objects.filter(actor=staff, action="support.member_view")
    assert {entry.member_id for entry in entries} == {hanako.pk, other.pk}
    assert all(entry.detail["page"] == "search" for entry in entries)
    client.get(reverse("admin:accounts_member_changelist"))  # no term: nothing listed, nothing written
    assert entries.count() == 2
