"""The member's card pages as a member sees them: マイページ with card faces,
a card's own page and its name, 紛失・故障の再発行登録, and the help."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_script_prefix
from django.urls import NoReverseMatch, reverse

from accounts.models import AuditEvent
from accounts.tests.factories import MemberFactory
from cards import selectors
from cards.models import Card, CardStatus, Device
from cards.tests.factories import CardFactory, CommuterPassFactory, PointsEntryFactory
from cards.tests.history_factories import RefundFactory

pytestmark = pytest.mark.django_db

JAPAN = ZoneInfo("Asia/Tokyo")
UTC = ZoneInfo("UTC")
NOW = datetime(2026, 12, 17, 12, 0, tzinfo=JAPAN)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def text(response) -> str:
    """The page as a person reads it: tags removed, whitespace collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# --- マイページ -------------------------------------------------------------------


def test_the_home_page_shows_each_card_as_a_card_face(member_client, member):
    card = CardFactory(
        member=member,
        icoca_number="JW7A0000000001234",
        nickname="仕事用",
        device=Device.IPHONE,
        balance=4210,
        balance_at=datetime(2026, 12, 17, 0, 12, tzinfo=UTC),  # 09:12 in Japan
    )

    response = member_client.get("/")

    page = text(response)
    assert response.status_code == 200
    assert "仕事用" in page
    assert "JW•••••••••••1234" in page
    assert card.icoca_number not in response.content.decode()  # the full number only on the card's page
    assert "iPhone" in page
    assert "利用中" in page
    assert "4,210円" in page
    assert "2026/12/17 09:12 時点" in page
    assert f'href="/cards/{card.public_id}/"' in response.content.decode()


def test_a_card_without_a_name_or_a_balance_says_so(member_client, member):
    CardFactory(member=member, nickname="", balance=None, balance_at=None)

    page = text(member_client.get("/"))

    assert "ICOCA （名前なし）" in page
    assert "まだ利用の記録がありません" in page


def test_the_commuter_pass_on_the_face(member_client, member):
    CommuterPassFactory(
        card__member=member, kind="commuter", valid_from=date(2026, 10, 1), valid_until=date(2027, 3, 31)
    )

    page = text(member_client.get("/"))

    assert "通勤定期券 大阪⇔三ノ宮" in page
    assert "2027/3/31まで有効 （あと104日）" in page
    assert "まもなく有効期限です" not in page


def test_a_pass_in_its_last_14_days_carries_a_warning(member_client, member):
    CommuterPassFactory(
        card__member=member, kind="student", valid_from=date(2026, 10, 1), valid_until=date(2026, 12, 31)
    )

    response = member_client.get("/")

    page = text(response)
    assert "通学定期券 大阪⇔三ノ宮" in page
    assert "（あと14日）" in page
    assert "まもなく有効期限です。" in page
    assert "pass--warning" in response.content.decode()


def test_a_pass_on_its_last_day(member_client, member):
    CommuterPassFactory(card__member=member, valid_from=date(2026, 9, 18), valid_until=date(2026, 12, 17))

    page = text(member_client.get("/"))

    assert "（本日が最終日）" in page
    assert "まもなく有効期限です。" in page


def test_no_warning_once_the_renewal_is_bought(member_client, member):
    card = CardFactory(member=member)
    CommuterPassFactory(card=card, valid_from=date(2026, 10, 1), valid_until=date(2026, 12, 31))
    CommuterPassFactory(card=card, valid_from=date(2027, 1, 1), valid_until=date(2027, 3, 31))

    page = text(member_client.get("/"))

    assert "まもなく有効期限です" not in page
    assert "次の定期券：2027/1/1から2027/3/31まで" in page


def test_an_expired_pass_is_not_shown_on_the_face(member_client, member):
    CommuterPassFactory(card__member=member, valid_from=date(2026, 9, 1), valid_until=date(2026, 11, 30))

    assert "大阪⇔三ノ宮" not in text(member_client.get("/"))


@pytest.mark.parametrize(
    ("trait", "label", "anchor", "explanation"),
    [
        ("deposited", "預け入れ中", "#deposit", "預け入れ中のため、いまは改札やお店で使えません。"),
        ("suspended", "再発行手続き中", "#reissue", "紛失・故障の再発行登録により、利用を停止しています。"),
    ],
)
def test_a_card_that_cannot_be_used_says_why_and_links_the_help(member_client, member, trait, label, anchor, explanation):
    CardFactory(member=member, **{trait: True})

    response = member_client.get("/")

    page = text(response)
    assert label in page
    assert explanation in page
    assert f'href="/help/{anchor}"' in response.content.decode()


def test_a_reissued_card_points_to_its_replacement(member_client, member):
    old = CardFactory(member=member, nickname="仕事用", reissued=True, icoca_number="JW7A0000000000001")
    new = CardFactory(member=member, nickname="仕事用", replaces=old, icoca_number="JW7A0000000000002")

    response = member_client.get("/")

    page = text(response)
    assert "以前のICOCA" in page
    assert "再発行済み" in page
    assert "残額と定期券は次のICOCAに引き継がれました： 仕事用 JW•••••••••••0002" in page
    assert f'href="/cards/{new.public_id}/"' in response.content.decode()


def test_a_member_without_cards_gets_an_explanation(member_client):
    page = text(member_client.get("/"))

    assert "このWESTER IDで使っているモバイルICOCAは、まだありません。" in page
    assert "同じWESTER IDを登録すると" in page


def test_the_points_balance_is_the_sum_of_the_ledger(member_client, member):
    PointsEntryFactory(member=member, points=1280)
    PointsEntryFactory(member=member, points=500)
    PointsEntryFactory(member=member, kind="charge", points=-300)
    PointsEntryFactory(points=99999)  # someone else's

    assert "1,480 ポイント" in text(member_client.get("/"))


def test_another_members_cards_are_not_on_my_home_page(member_client, member):
    CardFactory(member=member, nickname="わたしの")
    CardFactory(nickname="ほかの人の")

    page = text(member_client.get("/"))

    assert "わたしの" in page and "ほかの人の" not in page


def _home_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    return len(queries)


def test_the_home_page_takes_the_same_queries_for_one_card_or_many(member_client, member):
    card = CardFactory(member=member)
    CommuterPassFactory(card=card)
    PointsEntryFactory(member=member)
    member_client.get("/")  # warm the session
    one_card = _home_queries(member_client)

    for _ in range(5):
        extra = CardFactory(member=member, deposited=True)
        CommuterPassFactory(card=extra, valid_from=date(2026, 10, 1), valid_until=date(2026, 12, 31))
        CommuterPassFactory(card=extra, valid_from=date(2027, 1, 1), valid_until=date(2027, 3, 31))
    old = CardFactory(member=member, reissued=True)
    CardFactory(member=member, replaces=old)

    assert _home_queries(member_client) == one_card


def test_the_home_page_query_budget(member_client, member, django_assert_max_num_queries):
    passes = [CommuterPassFactory(card__member=member) for _ in range(5)]
    member_client.get("/")

    with django_assert_max_num_queries(8):
        response = member_client.get("/")

    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('<article class="card-face') == 5  # every card, each with its pass
    for commuter_pass in passes:
        assert commuter_pass.card.masked_number in page


def test_the_home_page_takes_three_queries(member_client, member, django_assert_num_queries):
    """The member, the cards (with the card that replaced each and their unexpired passes) and
    the points balance, however many cards and passes; no refunds are read without a refunded
    card (test_refunded_card.py)."""
    for _ in range(3):
        CommuterPassFactory(card__member=member)
    old = CardFactory(member=member, reissued=True)
    CardFactory(member=member, replaces=old, deposited=True)
    PointsEntryFactory(member=member)
    member_client.get("/")  # warm the session

    with django_assert_num_queries(3):
        response = member_client.get("/")

    assert response.status_code == 200
    assert response.content.decode().count('<article class="card-face') == 4


def test_a_card_face_shows_the_pass_in_use_and_the_renewal_bought_to_follow_it(member_client, member):
    card = CardFactory(member=member, nickname="通勤用")
    CommuterPassFactory(card=card, valid_from=date(2026, 6, 1), valid_until=date(2026, 11, 30))  # ended
    CommuterPassFactory(card=card, valid_from=date(2026, 7, 1), valid_until=date(2026, 12, 20))
    CommuterPassFactory(card=card, valid_from=date(2026, 12, 21), valid_until=date(2027, 3, 20))
    CommuterPassFactory(card=card, valid_from=date(2026, 12, 21), valid_until=date(2027, 1, 20))  # first of the two
    CommuterPassFactory(card=card, valid_from=date(2026, 8, 1), valid_until=date(2026, 12, 18))  # ends before

    face = text(member_client.get("/")).split("通勤用", 1)[1]

    assert "2026/12/20まで有効 （あと3日）" in face
    assert "次の定期券：2026/12/21から2027/1/20まで" in face
    assert "まもなく有効期限です。" not in face


def test_the_menu_and_the_card_links_follow_the_script_prefix(member_client, member):
    """The menu's addresses are reversed once per URL configuration and script prefix
    (portal/templatetags/menu.py), so a site mounted under a prefix links under it."""
    card = CardFactory(member=member)

    with override_script_prefix("/portal/"):
        mounted = member_client.get("/").content.decode()
    plain = member_client.get("/").content.decode()

    for html, prefix in ((mounted, "/portal"), (plain, "")):
        menu = html[html.index('class="site-nav"') : html.index("</nav>")]
        for name in ("home", "accounts:settings", "cards:help", "account_logout"):
            assert f'"{prefix}{reverse(name)}"' in menu, (prefix, name)
        assert f'href="{prefix}/cards/{card.public_id}/"' in html
        assert f'action="{prefix}/i18n/setlang/"' in html


# --- a card's own page ------------------------------------------------------------


def test_the_card_page_takes_three_queries(member_client, member, django_assert_num_queries):
    """The member, the card (with the cards it replaced and that replaced it) and its passes."""
    card = CardFactory(member=member)
    for month in (1, 4, 7, 10):
        CommuterPassFactory(card=card, valid_from=date(2026, month, 1), valid_until=date(2026, month + 2, 28))
    member_client.get(f"/cards/{card.public_id}/")

    with django_assert_num_queries(3):
        assert member_client.get(f"/cards/{card.public_id}/").status_code == 200


def test_the_card_pages_passes_are_ordered_without_an_order_by(member):
    """Latest start first, the later id first on the same day, sorted in Python: the
    passes' query has no ORDER BY to compile."""
    card = CardFactory(member=member)
    made = [
        CommuterPassFactory(card=card, valid_from=date(2026, month, day), valid_until=date(2026, month + 2, 28))
        for month, day in ((4, 1), (10, 1), (1, 1), (10, 1), (7, 1))
    ]

    with CaptureQueriesContext(connection) as queries:
        lines = selectors.card_pass_history(card, today=date(2026, 11, 25))

    assert [line.commuter_pass.pk for line in lines] == [made[i].pk for i in (3, 1, 4, 0, 2)]
    assert len(queries) == 1 and "ORDER BY" not in queries[0]["sql"]


def test_the_card_pages_passes_are_read_without_compiling_a_query(member, monkeypatch):
    """PASS_HISTORY_SQL, not the ORM's compiler (most of the read's CPU), with each pass's
    refund found as the Exists() annotation found it, and its card known."""
    card = CardFactory(member=member)
    kept = CommuterPassFactory(card=card, valid_from=date(2026, 4, 1), valid_until=date(2026, 9, 30))
    paid_back = CommuterPassFactory(card=card, valid_from=date(2026, 10, 1), valid_until=date(2027, 3, 31))
    RefundFactory(card=card, commuter_pass=paid_back)
    RefundFactory(card=CardFactory(member=member))  # another card's refund, no pass
    compiled = []
    as_sql = SQLCompiler.as_sql
    monkeypatch.setattr(SQLCompiler, "as_sql", lambda self, *a, **k: compiled.append(self) or as_sql(self, *a, **k))

    with CaptureQueriesContext(connection) as queries:
        lines = selectors.card_pass_history(card, today=date(2026, 11, 25))
        assert all(line.commuter_pass.card is card for line in lines)

    assert [(line.commuter_pass.pk, line.state) for line in lines] == [(paid_back.pk, "refunded"), (kept.pk, "past")]
    assert len(queries) == 1 and not compiled


def test_a_members_card_is_read_with_its_neighbours_without_compiling_a_query(member, monkeypatch):
    """selectors.member_card (MEMBER_CARD_SQL): the card, the card it replaced and the one
    that replaced it in one query the ORM does not compile; another member's card is not found."""
    first = CardFactory(member=member, reissued=True)
    middle = CardFactory(member=member, reissued=True, replaces=first, nickname="仕事用")
    last = CardFactory(member=member, replaces=middle)
    someone_elses = CardFactory()
    compiled = []
    as_sql = SQLCompiler.as_sql
    monkeypatch.setattr(SQLCompiler, "as_sql", lambda self, *a, **k: compiled.append(self) or as_sql(self, *a, **k))

    with CaptureQueriesContext(connection) as queries:
        card = selectors.member_card(member, middle.public_id)
        assert (card.pk, card.replaces.pk, card.replaced_by.pk) == (middle.pk, first.pk, last.pk)
        assert card.replaced_by.replaces is card and card.replaces.replaced_by is card
        alone = selectors.member_card(member, first.public_id)
        assert alone.replaces is None and alone.replaced_by.pk == middle.pk
        newest = selectors.member_card(member, str(last.public_id))
        assert newest.replaces.nickname == "仕事用"
        with pytest.raises(Card.replaced_by.RelatedObjectDoesNotExist):
            newest.replaced_by  # noqa: B018 (known to be none, as select_related knew)
        assert selectors.member_card(member, someone_elses.public_id) is None
        assert selectors.member_card(member, uuid.uuid4()) is None

    assert len(queries) == 5 and not compiled


def test_the_home_pages_cards_passes_and_points_are_read_without_compiling_a_query(member, monkeypatch):
    """selectors.member_card_faces (MEMBER_FACES_SQL) and member_points_balance
    (POINTS_BALANCE_SQL): the cards with the card that replaced each (as
    select_related("replaced_by") knew it, None where there is none), only this member's, each
    once however many passes it has, only unexpired passes; one query for the cards and their
    passes, one for the points, none compiled by the ORM."""
    old = CardFactory(member=member, reissued=True, issued_at=datetime(2025, 4, 1, tzinfo=UTC))
    new = CardFactory(member=member, replaces=old, nickname="仕事用", issued_at=datetime(2026, 6, 1, tzinfo=UTC))
    CardFactory()  # someone else's
    handed_on = CardFactory(member=member, reissued=True, issued_at=datetime(2025, 1, 1, tzinfo=UTC))
    elsewhere = CardFactory(replaces=handed_on)  # its replacement went to another member's WESTER ID
    current = CommuterPassFactory(card=new, valid_from=date(2026, 10, 1), valid_until=date(2026, 12, 31))
    renewal = CommuterPassFactory(card=new, valid_from=date(2027, 1, 1), valid_until=date(2027, 3, 31))
    CommuterPassFactory(card=new, valid_from=date(2026, 4, 1), valid_until=date(2026, 9, 30))  # expired
    PointsEntryFactory(member=member, points=300)
    PointsEntryFactory(member=member, points=-120)
    PointsEntryFactory(points=999)  # someone else's
    no_points = MemberFactory()
    compiled = []
    as_sql = SQLCompiler.as_sql
    monkeypatch.setattr(SQLCompiler, "as_sql", lambda self, *a, **k: compiled.append(self) or as_sql(self, *a, **k))

    with CaptureQueriesContext(connection) as queries:
        faces = selectors.member_card_faces(member=member, today=date(2026, 11, 25))
        assert [face.card.pk for face in faces] == [new.pk, handed_on.pk, old.pk]
        assert faces[2].card.replaced_by.pk == new.pk and faces[1].card.replaced_by.pk == elsewhere.pk
        with pytest.raises(Card.replaced_by.RelatedObjectDoesNotExist):
            faces[0].card.replaced_by  # noqa: B018 (known to be none, as select_related knew)
        assert faces[0].commuter_pass.pk == current.pk and faces[2].commuter_pass is None
        assert faces[0].renewal.pk == renewal.pk
        assert selectors.member_points_balance(member) == 180
        assert selectors.member_points_balance(no_points) == 0

    assert len(queries) == 3 and not compiled


def test_the_card_page_shows_the_full_number_and_details(member_client, member):
    card = CardFactory(member=member, nickname="仕事用", icoca_number="JW7A0000000001234")

    response = member_client.get(f"/cards/{card.public_id}/")

    page = text(response)
    assert response.status_code == 200
    assert "JW7A0000000001234" in page
    assert "Android" in page and "利用中" in page
    assert 'name="nickname"' in response.content.decode()
    assert 'value="仕事用"' in response.content.decode()


def test_the_card_page_lists_its_pass_history(member_client, member):
    card = CardFactory(member=member)
    CommuterPassFactory(card=card, valid_from=date(2026, 7, 1), valid_until=date(2026, 9, 30), via="JR神戸線")
    CommuterPassFactory(
        card=card, valid_from=date(2026, 10, 1), valid_until=date(2027, 3, 31), months=6, payment_method="cash",
        payment_brand="", payment_last4="",
    )

    page = text(member_client.get(f"/cards/{card.public_id}/"))

    assert page.index("2026/10/1 〜 2027/3/31") < page.index("2026/7/1 〜 2026/9/30")  # newest first
    assert "期限切れ" in page and "有効" in page
    assert "70,040円" in page and "現金" in page
    assert "VISA ••••4242" in page


def test_the_card_page_links_to_the_replacement_and_the_replaced(member_client, member):
    old = CardFactory(member=member, reissued=True, icoca_number="JW7A0000000000011")
    new = CardFactory(member=member, replaces=old, icoca_number="JW7A0000000000022")

    old_page = member_client.get(f"/cards/{old.public_id}/").content.decode()
    new_page = member_client.get(f"/cards/{new.public_id}/").content.decode()

    assert f'href="/cards/{new.public_id}/"' in old_page
    assert f'href="/cards/{old.public_id}/"' in new_page


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/cards/{id}/"), ("post", "/cards/{id}/rename/")],
)
def test_another_members_card_is_not_found(member_client, method, path):
    theirs = CardFactory(nickname="ほかの人の")

    response = getattr(member_client, method)(path.format(id=theirs.public_id), {"nickname": "横取り"})

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.nickname == "ほかの人の"


def test_an_unknown_card_is_not_found(member_client):
    assert member_client.get(f"/cards/{uuid.uuid4()}/").status_code == 404
    assert member_client.get("/cards/JW7A0000000001234/").status_code == 404  # never by its number


def test_a_visitor_is_sent_to_sign_in(client):
    card = CardFactory()
    for path in (f"/cards/{card.public_id}/", "/lost-device/", "/lost-device/confirm/?device=android"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/?next=")


# --- renaming -------------------------------------------------------------------------


def test_a_member_renames_a_card_and_sees_it_everywhere(member_client, member):
    card = CardFactory(member=member, nickname="古い名前")

    response = member_client.post(f"/cards/{card.public_id}/rename/", {"nickname": "\u3000買い物用 "}, follow=True)

    assert response.redirect_chain == [(f"/cards/{card.public_id}/", 302)]
    assert "ICOCAの名前を「買い物用」に変更しました。" in text(response)
    card.refresh_from_db()
    assert card.nickname == "買い物用"
    home = text(member_client.get("/"))
    assert "買い物用" in home and "古い名前" not in home


@pytest.mark.parametrize(
    ("nickname", "message"),
    [
        ("", "ICOCAの名前を入力してください。"),
        ("\u3000 ", "ICOCAの名前を入力してください。"),
        ("漢" * 21, "ICOCAの名前は20文字以内にしてください（入力された名前は21文字です）。"),
        ("仕事🚃", "ICOCAの名前に絵文字は使えません。文字と記号で入力してください。"),
        ("👨\u200d👩\u200d👧", "ICOCAの名前に絵文字は使えません。"),
        ("仕事\n用", "ICOCAの名前に改行・タブや見えない特殊な文字は使えません。"),
        ("仕\x00事", "ICOCAの名前に改行・タブや見えない特殊な文字は使えません。"),
    ],
)
def test_a_bad_name_is_refused_with_a_clear_message_and_nothing_changes(member_client, member, nickname, message):
    card = CardFactory(member=member, nickname="仕事用")
    before = Card.objects.values().get(pk=card.pk)

    response = member_client.post(f"/cards/{card.public_id}/rename/", {"nickname": nickname})

    assert response.status_code == 400
    assert message in text(response)
    assert 'aria-invalid="true"' in response.content.decode()
    assert Card.objects.values().get(pk=card.pk) == before
    assert "仕事用" in text(member_client.get("/"))


def test_twenty_kanji_are_accepted(member_client, member):
    card = CardFactory(member=member)

    member_client.post(f"/cards/{card.public_id}/rename/", {"nickname": "漢" * 20})

    card.refresh_from_db()
    assert card.nickname == "漢" * 20


def test_renaming_needs_a_post(member_client, member):
    card = CardFactory(member=member)
    assert member_client.get(f"/cards/{card.public_id}/rename/").status_code == 405


# --- CSRF -------------------------------------------------------------------------------


@pytest.fixture
def csrf_client(member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    return client


def test_renaming_without_the_csrf_token_is_refused(csrf_client, member):
    card = CardFactory(member=member, nickname="仕事用")

    response = csrf_client.post(f"/cards/{card.public_id}/rename/", {"nickname": "横取り"})

    assert response.status_code == 403
    card.refresh_from_db()
    assert card.nickname == "仕事用"


def test_a_lost_device_report_without_the_csrf_token_is_refused(csrf_client, member):
    card = CardFactory(member=member, device=Device.ANDROID)

    response = csrf_client.post("/lost-device/confirm/", {"device": "android"})

    assert response.status_code == 403
    card.refresh_from_db()
    assert card.status == CardStatus.ACTIVE


def test_the_forms_carry_the_csrf_token(member_client, member):
    card = CardFactory(member=member)
    assert "csrfmiddlewaretoken" in member_client.get(f"/cards/{card.public_id}/").content.decode()
    assert "csrfmiddlewaretoken" in member_client.get("/lost-device/confirm/?device=android").content.decode()


# --- 紛失・故障の再発行登録 -------------------------------------------------------------


def test_step_one_offers_the_devices_with_cards_that_can_be_stopped(member_client, member):
    CardFactory(member=member, device=Device.IPHONE, nickname="仕事用")
    CardFactory(member=member, device=Device.IPHONE, nickname="買い物用", deposited=True)
    CardFactory(member=member, device=Device.APPLE_WATCH, suspended=True)
    CardFactory(device=Device.ANDROID)  # someone else's

    response = member_client.get("/lost-device/")

    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="iphone"' in page
    assert 'value="apple_watch"' not in page and 'value="android"' not in page
    assert "仕事用" in page and "買い物用" in page
    assert "紛失・故障した端末" in page


def test_step_two_lists_the_cards_that_will_stop_and_changes_nothing(member_client, member):
    work = CardFactory(member=member, device=Device.IPHONE, nickname="仕事用", balance=4210)
    CardFactory(member=member, device=Device.ANDROID, nickname="家族用")

    response = member_client.get("/lost-device/confirm/?device=iphone")

    page = text(response)
    assert response.status_code == 200
    assert "iPhoneの次のICOCAの利用を停止します" in page
    assert "仕事用" in page and work.masked_number in page and "4,210円" in page
    assert "家族用" not in page
    assert "利用を停止して再発行登録する" in page
    work.refresh_from_db()
    assert work.status == CardStatus.ACTIVE


def test_confirming_stops_every_card_on_the_device_and_explains_what_happens_next(member_client, member):
    work = CardFactory(member=member, device=Device.IPHONE, nickname="仕事用")
    shop = CardFactory(member=member, device=Device.IPHONE, nickname="買い物用", deposited=True)
    watch = CardFactory(member=member, device=Device.APPLE_WATCH)

    response = member_client.post("/lost-device/confirm/", {"device": "iphone"}, follow=True)

    assert response.redirect_chain == [("/lost-device/done/?device=iphone", 302)]
    page = text(response)
    assert "iPhoneのICOCA 2枚の利用を停止し、再発行登録を受け付けました。" in page
    assert "このあとの流れ" in page
    assert "残額と定期券が引き継がれます" in page
    assert "翌日以降" in page
    assert "サポートセンター" in page
    assert "仕事用" in page and "買い物用" in page and "2026/12/17 12:00 に停止" in page
    statuses = dict(Card.objects.values_list("pk", "status"))
    assert statuses == {work.pk: "suspended", shop.pk: "suspended", watch.pk: "active"}
    event = AuditEvent.objects.get(member=member)
    assert event.action == "card.lost_device_report" and event.actor == member


def test_the_home_page_shows_the_stopped_cards(member_client, member):
    CardFactory(member=member, device=Device.ANDROID, nickname="仕事用")
    member_client.post("/lost-device/confirm/", {"device": "android"})

    page = text(member_client.get("/"))

    assert "再発行手続き中" in page


def test_a_device_with_nothing_to_stop_is_refused_with_a_message(member_client, member):
    CardFactory(member=member, device=Device.ANDROID, suspended=True)
    CardFactory(member=member, device=Device.IPHONE)

    for response in (
        member_client.get("/lost-device/confirm/?device=android"),
        member_client.post("/lost-device/confirm/", {"device": "android"}),
        member_client.post("/lost-device/confirm/", {"device": "pager"}),
        member_client.post("/lost-device/confirm/", {}),
    ):
        assert response.status_code == 400
        page = text(response)
        assert "利用を停止できるICOCAがありません" in page or "端末を選んでください" in page
    assert Card.objects.filter(status=CardStatus.ACTIVE).count() == 1
    assert not AuditEvent.objects.exists()


def test_a_member_with_nothing_to_stop_is_told_so(member_client, member):
    CardFactory(member=member, suspended=True)

    page = text(member_client.get("/lost-device/"))

    assert "利用を停止できるICOCAはありません。" in page


def test_another_members_cards_on_the_same_kind_of_device_are_untouched(member_client, member):
    theirs = CardFactory(device=Device.ANDROID)

    response = member_client.post("/lost-device/confirm/", {"device": "android"})

    assert response.status_code == 400
    theirs.refresh_from_db()
    assert theirs.status == CardStatus.ACTIVE


# --- help and navigation ----------------------------------------------------------------


def test_the_help_has_the_sections_the_card_faces_link_to(client):
    page = client.get("/help/").content.decode()
    for anchor in (
        "cards", "commuter-pass", "deposit", "reissue", "refund", "receipts", "payment-cards", "not-responding",
        "sign-in", "contact",
    ):
        assert f'id="{anchor}"' in page
        assert f'href="#{anchor}"' in page
    words = text(client.get("/help/"))
    assert "220円" in words
    assert "JCB、VISA、Mastercard、American Express" in words
    assert "3-Dセキュア" in words
    assert "現金でしたチャージ" in words


def _optional(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def test_the_menu_of_a_signed_in_member(member_client):
    page = member_client.get("/").content.decode()
    menu = page[page.index('class="site-nav"') : page.index("</nav>")]

    for label, href in (("マイページ", "/"), ("設定", "/settings/"), ("ヘルプ", "/help/")):
        assert f'href="{href}"' in menu and label in menu
    assert "ログアウト" in menu
    assert 'href="/" aria-current="page"' in menu
    for name, label in (("cards:history", "利用履歴"), ("payment_methods:payment-method-list", "決済用カード"),
                        ("documents:document-list", "領収書・明細書"), ("documents:refund-list", "払いもどし")):
        assert (label in menu) == (_optional(name) is not None)
    assert 'href="/refunds/">払いもどし</a>' in menu
    # On a phone the menu folds behind a disclosure button (tests/e2e/test_member_pages.py).
    assert ('<button type="button" class="menu-button" aria-expanded="false" aria-controls="site-nav" '
            "data-menu-button>") in page
    assert 'id="site-nav"' in page
    assert '<script src="/static/js/menu.js" defer></script>' in page


def test_a_visitor_has_no_menu(client):
    page = client.get("/").content.decode()
    assert 'class="site-nav"' not in page
    assert "data-menu-button" not in page


def test_every_card_page_renders_in_english_too(member_client, member):
    card = CardFactory(member=member, device=Device.ANDROID)
    CommuterPassFactory(card=card, valid_from=date(2026, 10, 1), valid_until=date(2026, 12, 31))
    member_client.cookies["django_language"] = "en"

    for path in ("/", f"/cards/{card.public_id}/", "/lost-device/", "/lost-device/confirm/?device=android", "/help/"):
        response = member_client.get(path)
        assert response.status_code == 200, path
        assert '<html lang="en">' in response.content.decode()
