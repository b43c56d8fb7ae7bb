"""A refunded card (issue 14 §5): 払いもどし済み with the date, no balance, the refund's
figures with a link to its statement, no rename; its refunded pass says 払いもどし済み.
The same on マイページ."""

from __future__ import annotations

from datetime import timedelta

import pytest

from billing.models import Document, DocumentKind
from billing.tests.document_data import domain_example_refund
from cards.models import Card, Refund
from cards.tests.factories import CardFactory
from cards.tests.test_views import _frozen, text  # noqa: F401 (_frozen: autouse, the frozen time)

pytestmark = pytest.mark.django_db


@pytest.fixture
def refund(member):
    refund = domain_example_refund(member)
    refund.card.nickname, refund.card.balance = "旧端末", 2920
    refund.card.save()
    return refund


def test_the_card_page_shows_the_refund_not_a_balance(member_client, refund):
    card = refund.card
    response = member_client.get(f"/cards/{card.public_id}/")
    page = text(response)
    assert "2026/8/20に払いもどし済みのため、このICOCAは使えません。" in page
    assert "払いもどし日 2026/8/20" in page
    assert "2,920" not in page  # the card's last balance is not money it holds
    for figure in ("ICOCAの残額 1,000円", "定期券の払いもどし額 7,140円", "手数料 −220円",
                   "払いもどし額 7,920円", "払いもどし先 VISA ••••4242"):
        assert figure in page, figure
    assert f'href="/refunds/#refund-{refund.center_id}"' in response.content.decode()
    assert "払いもどし計算書を作成する" in page
    # No rename: not offered, and refused if posted anyway.
    assert "ICOCAの名前を変更" not in page and "名前を保存" not in page
    follow = member_client.post(f"/cards/{card.public_id}/rename/", {"nickname": "新しい名前"}, follow=True)
    assert "払いもどし済みのICOCAの名前は変更できません。" in text(follow)
    assert Card.objects.get(pk=card.pk).nickname == "旧端末"
    # The refunded pass says so, not 期限切れ or 有効.
    passes = page.split("定期券", 1)[1]
    assert "大阪⇔三ノ宮 払いもどし済み" in passes and "期限切れ" not in passes and "有効 " not in passes


def test_the_statement_is_linked_once_made(member_client, member, refund):
    statement = Document.objects.create(
        member=member, kind=DocumentKind.REFUND_STATEMENT, refund=refund, number="F-202608-000007", language="ja",
        total_amount=7920, issuer_name="x", issuer_registration_number="T1234567890123", content={},
    )
    html = member_client.get(f"/cards/{refund.card.public_id}/").content.decode()
    assert f'href="/documents/{statement.public_id}/"' in html and "払いもどし計算書（F-202608-000007）を見る" in html


def test_in_english(member_client, refund):
    member_client.cookies["django_language"] = "en"
    response = member_client.get(f"/cards/{refund.card.public_id}/")
    page = text(response)
    assert "This ICOCA was refunded on 20 Aug 2026 and can no longer be used." in page
    assert "Refund date 20 Aug 2026" in page and "Balance ¥2,920" not in page
    assert "旧端末 (ICOCA number ending" in response.content.decode().split("<title>", 1)[1].split("</title>", 1)[0]


def test_my_page_lists_it_with_the_date_and_the_refund(member_client, member, refund):
    CardFactory(member=member, nickname="仕事用")
    page = text(member_client.get("/"))
    past = page.split("以前のICOCA", 1)[1]
    assert "旧端末" in past and "2026/8/20に払いもどし済み" in past and "払いもどし額 7,920円" in past
    assert "2,920円" not in page
    assert f'href="/refunds/#refund-{refund.center_id}"' in member_client.get("/").content.decode()


def test_my_page_shows_the_latest_refund_of_a_card_in_one_more_query(
    member_client, member, refund, django_assert_num_queries
):
    """The refunds are read only for refunded cards (one query for them all); a card the
    center sent two refunds for shows the latest."""
    earlier = Refund.objects.get(pk=refund.pk)
    earlier.pk, earlier.center_id, earlier.total = None, "R-EARLIER", 100
    earlier.refunded_at = refund.refunded_at - timedelta(days=1)
    earlier.save()
    CardFactory(member=member, nickname="仕事用")
    member_client.get("/")

    with django_assert_num_queries(4):
        page = text(member_client.get("/"))

    assert "払いもどし額 7,920円" in page and "払いもどし額 100円" not in page


def test_the_active_card_comes_before_a_deposited_or_suspended_one(member_client, member):
    from datetime import timedelta

    from django.utils import timezone

    old = timezone.now() - timedelta(days=900)
    CardFactory(member=member, nickname="停止中", status="suspended", issued_at=old)
    CardFactory(member=member, nickname="預け入れ", status="deposited", issued_at=old)
    CardFactory(member=member, nickname="いま使う", issued_at=timezone.now() - timedelta(days=3))
    page = text(member_client.get("/"))
    assert page.index("いま使う") < page.index("預け入れ") < page.index("停止中")


def test_each_card_page_title_names_the_card(member_client, member):
    named = CardFactory(member=member, nickname="仕事用", icoca_number="JW7A0000000001234")
    unnamed = CardFactory(member=member, icoca_number="JW7A0000000005678")
    for card, title in ((named, "仕事用（ICOCA番号 末尾1234）"), (unnamed, "ICOCA（ICOCA番号 末尾5678）")):
        html = member_client.get(f"/cards/{card.public_id}/").content.decode()
        assert f"<title>{title} |" in html
