"""WESTERポイント in Chromium: from マイページ to the points ledger, on a phone and on a desktop,
in Japanese and English. Screenshots go to test-artifacts/."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.tests.factories import MemberFactory
from cards.models import PointsKind
from cards.tests.factories import PointsEntryFactory
from conftest import ARTIFACTS
from tests.e2e.test_sign_in import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_member_reads_their_points_ledger(page, live_server, wester_id, browser):
    member = MemberFactory(wester_id="demo-hanako", name="山田 花子")
    now = timezone.now()
    for days, kind, points, category in [
        (2, PointsKind.CHARGE, -500, ""), (9, PointsKind.EARN, 128, "ride_count"),
        (40, PointsKind.EARN, 1200, "J-WEST card charge"), (70, PointsKind.EXPIRE, -30, ""),
        (100, PointsKind.ADJUST, 10, "お詫び"),
    ]:
        PointsEntryFactory(member=member, occurred_at=now - timedelta(days=days), kind=kind, points=points,
                           category=category)
    ARTIFACTS.mkdir(exist_ok=True)
    sign_in(page, live_server, "demo-hanako")
    page.get_by_role("link", name="ポイントの履歴を見る").click()
    expect(page.get_by_role("heading", name="WESTERポイント", level=1)).to_be_visible()
    expect(page.locator("main")).to_contain_text("808 ポイント")
    expect(page.locator(".line").first).to_contain_text("−500 P")
    page.screenshot(path=str(ARTIFACTS / "points-ja-360.png"), full_page=True)
    page.get_by_role("link", name="ポイントのしくみ（たまる率など）").click()
    expect(page.locator("#points")).to_contain_text("税込1,000円につき30ポイント")
    page.locator("#points").screenshot(path=str(ARTIFACTS / "points-help-ja-360.png"))
    page.go_back()
    page.get_by_label("Language / 言語").select_option("en")
    page.get_by_role("button", name="切り替え").click()
    expect(page.get_by_role("heading", name="Points history (newest first)")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "points-en-360.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(ARTIFACTS / "points-en-1280.png"), full_page=True)
