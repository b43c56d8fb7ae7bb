"""The support center in Chromium at 1280 px: an agent finds a member by the
last digits of an ICOCA number, reports a lost device and re-sends a receipt
with a reason; a supervisor sees the full number and the agent's entries in
the audit log. Screenshots of each page go to test-artifacts/."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.totp.internal.auth import generate_totp_secret
from django.core import mail
from playwright.sync_api import expect

from accounts.models import AuditEvent
from accounts.tests.test_admin_site import PASSWORD, fresh_code
from cards.models import CardStatus
from conftest import ARTIFACTS
from support.tests.helpers import agent, member_with_everything, supervisor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk(browser, csp_violations):
    """A support desk's screen: 1280 px wide (a CSP violation on any page fails the test)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    context.set_default_timeout(15_000)
    csp_violations.watch(context)
    yield context.new_page()
    context.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"support-{name}.png"), full_page=True)


def staff_sign_in(page, live_server, username: str, secret: str) -> None:
    page.goto(live_server.url + "/admin/")
    page.locator("input[name=login]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.locator("input[name=code]").fill(fresh_code(secret))
    page.locator("input[name=code]").press("Enter")
    expect(page.get_by_role("heading", name="サポートセンター")).to_be_visible()


def find_member(page, digits: str, name: str) -> None:
    page.get_by_label("会員を探す").fill(digits)
    page.get_by_label("会員を探す").press("Enter")
    expect(page.locator("#result_list")).to_contain_text(name)
    shot(page, "search")
    page.locator("#result_list").get_by_role("link", name=name).click()


def test_an_agent_reports_a_lost_device_and_resends_a_receipt(desk, live_server, browser):
    member, phone, watch = member_with_everything()
    receipt = member.documents.get()
    secret = generate_totp_secret()
    agent(username="agent-sato", secret=secret)

    staff_sign_in(desk, live_server, "agent-sato", secret)
    shot(desk, "index-agent")
    find_member(desk, "123456", "山田 花子")

    expect(desk.get_by_role("heading", name="ICOCA", exact=True)).to_be_visible()
    expect(desk.locator("body")).to_contain_text(phone.masked_number)
    expect(desk.locator("body")).not_to_contain_text(phone.icoca_number)
    expect(desk.locator("body")).to_contain_text("VISA ••••4242")
    shot(desk, "member-agent")

    # Report the lost iPhone: a confirmation page, a reason, then done.
    desk.get_by_role("link", name="紛失・故障の再発行登録").click()
    expect(desk.locator(".warning-box")).to_contain_text("取り消せません")
    desk.get_by_label("iPhone").check()
    desk.get_by_role("button", name="利用を停止する").click()
    expect(desk.get_by_role("alert")).to_contain_text("理由を入力してください。")
    shot(desk, "action-refused")
    desk.get_by_label("理由（必須）").fill("電話で紛失の申告 受付123")
    desk.get_by_role("button", name="利用を停止する").click()
    expect(desk.locator(".messagelist")).to_contain_text("1枚のICOCAの利用を停止しました")
    phone.refresh_from_db()
    watch.refresh_from_db()
    assert phone.status == CardStatus.SUSPENDED and watch.status == CardStatus.ACTIVE

    # Re-send the receipt.
    desk.get_by_role("link", name="メールで再送").click()
    expect(desk.locator(".warning-box")).to_contain_text(receipt.number)
    desk.get_by_label("理由（必須）").fill("領収書が届かないとの問い合わせ")
    shot(desk, "action-confirm")
    desk.get_by_role("button", name="メールを送る").click()
    expect(desk.locator(".messagelist")).to_contain_text(f"書類 {receipt.number} を {member.email} に送ります（メールの送信を依頼しました）。")
    # The lost-device report's security notice, then the receipt.
    assert [m.to for m in mail.outbox] == [[member.email], [member.email]]
    assert "紛失・故障の届け出" in mail.outbox[0].subject and receipt.number in mail.outbox[1].body + mail.outbox[1].subject

    # The audit trail on the page has both, with the reasons.
    audit = desk.locator("section[aria-labelledby=audit-heading]")
    expect(audit).to_contain_text("紛失・故障の再発行登録")
    expect(audit).to_contain_text("電話で紛失の申告 受付123")
    expect(audit).to_contain_text(f"書類をメールで再送（{receipt.number}）")
    expect(audit).to_contain_text("領収書が届かないとの問い合わせ")
    expect(desk.locator("body")).to_contain_text("再発行手続き中")
    shot(desk, "member-agent-after")
    assert AuditEvent.objects.filter(actor__username="agent-sato", action="support.member_view").count() >= 3

    # The same page on a phone, for the look.
    phone_context = browser.new_context(viewport={"width": 360, "height": 800}, locale="ja-JP")
    phone_page = phone_context.new_page()
    phone_page.context.add_cookies(desk.context.cookies())
    phone_page.goto(desk.url)
    expect(phone_page.get_by_role("heading", name="ICOCA", exact=True)).to_be_visible()
    shot(phone_page, "member-360")
    phone_context.close()


def test_a_supervisor_sees_the_full_number_and_other_staffs_entries(desk, live_server):
    member, phone, _watch = member_with_everything()
    someone = agent(username="agent-ito")
    from support import services

    services.support_lost_device_report(staff=someone, member=member, device="iphone", reason="代理で申告")
    secret = generate_totp_secret()
    supervisor(username="sv-kato", secret=secret)

    staff_sign_in(desk, live_server, "sv-kato", secret)
    shot(desk, "index-supervisor")
    find_member(desk, phone.icoca_number[-4:], "山田 花子")

    expect(desk.locator("body")).to_contain_text(phone.icoca_number)
    audit = desk.locator("section[aria-labelledby=audit-heading]")
    expect(audit).to_contain_text("agent-ito")
    expect(audit).to_contain_text("代理で申告")
    shot(desk, "member-supervisor")

    # The whole audit log: who looked at and acted on which member.
    desk.get_by_role("link", name="ホーム").click()
    desk.get_by_role("link", name="操作記録").click()
    desk.locator("#searchbar").fill("agent-ito")
    desk.locator("#searchbar").press("Enter")
    expect(desk.locator("#result_list")).to_contain_text("紛失・故障の再発行登録")
    expect(desk.locator("#result_list")).not_to_contain_text(re.compile("を表示"))
    shot(desk, "audit-log")
    desk.locator("#result_list tbody th a").first.click()
    expect(desk.locator("body")).to_contain_text("代理で申告")
    expect(desk.locator("body")).not_to_contain_text("保存")
    shot(desk, "audit-entry")


def test_an_agent_follows_a_feed_import_to_its_rejected_lines(desk, live_server):
    from django.utils import timezone

    from cards.models import FeedImport, FeedReject

    done = FeedImport.objects.create(
        file_name="/srv/feed/2026-11-25.jsonl", finished_at=timezone.now(), read=7412093, imported=7412001,
        rejected=92,
    )
    FeedImport.objects.create(file_name="/srv/feed/2026-11-26.jsonl", read=0)
    FeedReject.objects.create(
        feed_import=done, line_number=3, record_type="usage", record_key="U-20261125-00000003",
        reason="usage.amount must be < 0 for kind 'ride' (got 580)",
        line='{"type":"usage","id":"U-20261125-00000003","icoca_number":"JW7A0000000123456","amount":580}',
    )
    secret = generate_totp_secret()
    agent(username="agent-sato", secret=secret)
    staff_sign_in(desk, live_server, "agent-sato", secret)
    desk.get_by_role("link", name="フィード取り込み").click()
    expect(desk.locator("#result_list")).to_contain_text("未完了（実行中、またはエラーで中断）")
    shot(desk, "feed-imports")
    desk.get_by_role("link", name="92 行").click()
    expect(desk.locator("#result_list")).to_contain_text("U-20261125-00000003")
    shot(desk, "feed-rejects-of-an-import")
    desk.locator("#result_list tbody th a").first.click()
    expect(desk.locator("body")).to_contain_text("JW•••••••••••3456")
    expect(desk.locator("body")).not_to_contain_text("JW7A0000000123456")


@pytest.mark.parametrize("width", [360, 1280])
def test_staff_screens_meet_wcag_2_2_aa(browser, live_server, axe_check, width):
    """The staff sign-in, the TOTP step, the home with the search, search results, the member
    page, an action's confirmation, 閲覧の記録 and the audit log: no WCAG 2.2 A/AA violation,
    on a phone and on a desk."""
    member, _phone, _watch = member_with_everything()
    secret = generate_totp_secret()
    supervisor(username="sv-axe", secret=secret)
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="ja-JP")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(live_server.url + "/admin/")
    page.locator("input[name=login]").fill("sv-axe")
    axe_check(page, where=f"staff sign-in {width}")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.locator("input[name=code]").wait_for()
    axe_check(page, where=f"TOTP step {width}")
    page.locator("input[name=code]").fill(fresh_code(secret))
    page.locator("input[name=code]").press("Enter")
    expect(page.get_by_role("heading", name="サポートセンター")).to_be_visible()
    axe_check(page, where=f"home {width}")
    for where, path in [
        ("search", "/admin/accounts/member/?q=sub-hanako"),
        ("member page", f"/admin/accounts/member/{member.pk}/change/"),
        ("action", f"/admin/accounts/member/{member.pk}/support/sessions-end/"),
        ("documents of the member", f"/admin/billing/document/?member={member.pk}"),
        ("reads", "/admin/accounts/auditevent/reads/?wester_id=sub-hanako"),
        ("audit log", "/admin/accounts/auditevent/"),
    ]:
        page.goto(live_server.url + path)
        axe_check(page, where=f"{where} {width}")
    context.close()
