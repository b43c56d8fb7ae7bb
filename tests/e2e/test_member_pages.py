"""Every member page in Chromium, in Japanese and English, at 360 px and 1280 px, with
messages of every kind and form errors shown, every <details> panel and the menu open:

- nothing scrolls sideways at 360 px (``document.documentElement.scrollWidth <= 360``);
- axe-core finds no WCAG 2.2 A/AA violation (conftest.py's ``axe_violations``);
- every id an aria-describedby, aria-labelledby or aria-controls names is on the page.

The pages are portal/tests/test_headers.py's member_urls() (a test there fails when a
member page is left out of it), each card page of a member with everything a page can
show (tests/e2e/member_data.py: an active, a deposited, a suspended and a refunded card,
100 card payments, points of every category, a ready and a failed document), the forms
sent back with their errors, and the payment provider's card entry with its errors.

One browser context per language, reused for both widths and every page. Then the menu
button (a disclosure button, keyboard and no-JavaScript), the focus ring's contrast and
help's checklist."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpResponse
from django.test import RequestFactory
from playwright.sync_api import expect

from cards.window import japan_today
from conftest import ARTIFACTS, axe_violations, format_axe_violations
from portal.tests.test_headers import member_urls
from tests.e2e.member_data import member_with_everything, sign_in_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (360, 1280)
NOT_PAGES = ("/history/export.csv", "/status/", "/download/")  # a file and JSON, not pages
MESSAGES = {
    "ja": [(constants.INFO, "お知らせです。"), (constants.SUCCESS, "保存しました。"),
           (constants.WARNING, "ただいま混み合っています。"), (constants.ERROR, "処理できませんでした。")],
    "en": [(constants.INFO, "A notice."), (constants.SUCCESS, "Saved."),
           (constants.WARNING, "We are busy right now."), (constants.ERROR, "That could not be done.")],
}

# Opens every <details> panel and, where it is shown, the menu.
OPEN_EVERYTHING = """() => {
    document.querySelectorAll("details").forEach((d) => { d.open = true; });
    const button = document.querySelector("[data-menu-button]");
    if (button && button.offsetParent !== null && button.getAttribute("aria-expanded") !== "true") { button.click(); }
}"""
# What sticks out on the right, to name it in a failure.
WIDER_THAN = """(width) => Array.from(document.querySelectorAll("body *"))
    .filter((e) => e.getBoundingClientRect().right > width + 0.5 && e.getClientRects().length)
    .slice(0, 5).map((e) => `${e.tagName.toLowerCase()}.${e.className} (${Math.round(e.getBoundingClientRect().right)} px)`)"""


# aria-describedby, -labelledby and -controls that name an id no element has (axe accepts
# a list where one id exists; a field's error id must exist whenever it is named).
MISSING_IDS = """() => Array.from(document.querySelectorAll("[aria-describedby], [aria-labelledby], [aria-controls]"))
    .flatMap((e) => ["aria-describedby", "aria-labelledby", "aria-controls"]
        .flatMap((name) => (e.getAttribute(name) || "").split(/\\s+/).filter(Boolean)
            .filter((id) => !document.getElementById(id)).map((id) => `${e.id || e.tagName} ${name}=${id}`)))"""


@dataclass
class Visit:
    url: str
    what: str = ""
    status: int | None = 200  # None: whatever the form's answer is (400 with its errors)
    act: Callable | None = None  # act(page, member): fills and sends a form after the page loads


def send(page, form_selector: str, values: dict[str, str]) -> None:
    """Fills a form and sends it without the browser's own checks (the server's errors are
    what is looked at), waiting for the page it answers with."""
    form = page.locator(form_selector)
    for name, value in values.items():
        form.locator(f"[name='{name}']").fill(value)
    with page.expect_navigation():
        form.evaluate("(f) => { f.noValidate = true; f.requestSubmit(); }")


def forget_card_name(member, page) -> None:
    """The name on the cards is asked until it is known: forget it (the pass at the other
    width, or the provider's visit, gave it) so the form asks again."""
    from accounts.models import Member

    Member.objects.filter(pk=member.pk).update(card_name="")
    page.reload()


def documents_period_error(page, member) -> None:
    today = japan_today()
    send(page, "form:has(input[name=mode][value=period])",
         {"start": today.isoformat(), "end": (today - timedelta(days=3)).isoformat()})


def documents_payment_error(page, member) -> None:
    page.locator("select[name=payment]").evaluate(
        "(s) => { s.replaceChildren(new Option('gone', 'charge:no-such-payment', true, true)); }")
    send(page, "form:has(input[name=mode][value=payment])", {})


def usage_history_error(page, member) -> None:
    today = japan_today()
    send(page, "form[action='/documents/usage-history/']",
         {"start": today.isoformat(), "end": (today - timedelta(days=3)).isoformat()})


def card_rename_error(page, member) -> None:
    send(page, "form[action$='/rename/']", {"nickname": "🚃🚃"})


def settings_card_name_error(page, member) -> None:
    send(page, "form[action='/settings/card-name/']", {"card_name": "山田 花子"})


def register_card_name_error(page, member) -> None:
    forget_card_name(member, page)
    send(page, "form[action='/payment-methods/register/']", {"card_name": "ヤマダ"})


def sandbox_entry_errors(page, member) -> None:
    """The payment provider's card entry (the sandbox), sent empty: its errors."""
    forget_card_name(member, page)
    send(page, "form[action='/payment-methods/register/']", {"card_name": "HANAKO YAMADA"})
    expect(page).to_have_url(re.compile(r"/sandbox-pay/pay/"))
    send(page, "form[data-brand-url]", {})


def visits(data, member) -> list[Visit]:
    urls = [url for url in member_urls(member) if not url.endswith(NOT_PAGES)]
    earliest_wrong = "2000-01-01"
    return [
        *(Visit(url) for url in urls),
        *(Visit(f"/cards/{card.public_id}/", card.nickname)
          for card in (data.active, data.deposited, data.suspended, data.refunded)),
        Visit(f"/documents/{data.ready_document.public_id}/", "ready document"),
        Visit(f"/documents/{data.failed_document.public_id}/", "failed document"),
        # Forms sent back with their errors.
        Visit(f"/history/?from={earliest_wrong}&to=not-a-date", "history filter errors", status=None),
        Visit("/documents/?issued_from=2026-12-01&issued_to=2026-01-01&amount_min=-5", "document search errors",
              status=None),
        Visit("/documents/", "period form errors", act=documents_period_error),
        Visit("/documents/", "payment form errors", act=documents_payment_error),
        Visit("/documents/", "usage history form errors", act=usage_history_error),
        Visit("/lost-device/confirm/?device=", "lost device: no device chosen", status=None),
        Visit(f"/cards/{data.active.public_id}/", "rename errors", act=card_rename_error),
        Visit("/settings/", "card name errors", act=settings_card_name_error),
        Visit("/payment-methods/", "registration's card name errors", act=register_card_name_error),
        Visit("/payment-methods/", "the provider's card entry with errors", act=sandbox_entry_errors),
    ]


def messages_cookie(language: str) -> str:
    """The messages cookie of Django's cookie storage, holding one message of each kind."""
    storage = CookieStorage(RequestFactory().get("/"))
    for level, text in MESSAGES[language]:
        storage.add(level, text)
    response = HttpResponse()
    storage.update(response)
    return response.cookies[storage.cookie_name].value


@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_member_page_fits_360_px_and_passes_axe(browser, live_server, csp_violations, language):
    data = member_with_everything(payments=100)
    member = data.member
    pages = visits(data, member)
    context = browser.new_context(viewport={"width": 360, "height": 800}, locale="ja-JP")
    context.set_default_timeout(15_000)
    csp_violations.watch(context)
    sign_in_browser(context, live_server, member)
    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])
    page = context.new_page()
    problems: list[str] = []
    checked = 0
    try:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            for visit in pages:
                where = f"{visit.url} ({visit.what or 'page'}, {language}, {width} px)"
                context.add_cookies([{"name": CookieStorage.cookie_name, "value": messages_cookie(language),
                                      "url": live_server.url}])
                response = page.goto(live_server.url + visit.url)
                if visit.act is not None:
                    visit.act(page, member)
                elif visit.status is not None and response.status != visit.status:
                    problems.append(f"{where}: answered {response.status}")
                    continue
                assert response.status < 500, where
                if visit.act is None:  # the messages are shown (and checked by axe below)
                    expect(page.locator("main > [role=status]")).to_contain_text(MESSAGES[language][-1][1])
                page.evaluate(OPEN_EVERYTHING)
                scroll_width = page.evaluate("document.documentElement.scrollWidth")
                if scroll_width > width:
                    problems.append(f"{where}: scrolls sideways, scrollWidth {scroll_width} px: "
                                    + ", ".join(page.evaluate(WIDER_THAN, width)))
                if os.environ.get("PORTAL_SCREENSHOTS"):  # to look at them: test-artifacts/member-pages/
                    folder = ARTIFACTS / "member-pages"
                    folder.mkdir(parents=True, exist_ok=True)
                    slug = re.sub(r"[^a-z0-9]+", "-", f"{visit.url} {visit.what}".lower()).strip("-")[:60]
                    page.screenshot(path=str(folder / f"{language}-{width}-{checked:02d}-{slug}.png"), full_page=True)
                missing = page.evaluate(MISSING_IDS)
                if missing:
                    problems.append(f"{where}: ids named but not on the page: {', '.join(missing)}")
                violations = axe_violations(page)
                if violations:
                    problems.append(format_axe_violations(violations, where))
                checked += 1
    finally:
        context.close()
    assert not problems, f"{len(problems)} problem(s) on {checked} pages looked at:\n" + "\n".join(problems)
    assert checked == 2 * len(pages)


# -- The menu -----------------------------------------------------------------------------


def test_the_menu_folds_behind_a_disclosure_button_on_a_phone(page, live_server, axe_check):
    data = member_with_everything(payments=3)
    sign_in_browser(page.context, live_server, data.member)
    page.goto(live_server.url + "/points/")
    button = page.get_by_role("button", name="メニュー")
    menu = page.get_by_role("navigation", name="メインメニュー")
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_hidden()
    header = page.locator(".site-header").bounding_box()
    assert header["height"] < 70, header  # one row: the brand and the button
    page.emulate_media(forced_colors="active")  # Windows high contrast: the three bars stay drawn
    bars = page.locator(".menu-button__icon").evaluate("(e) => getComputedStyle(e, '::before').backgroundColor")
    assert bars == page.locator(".menu-button").evaluate("(e) => getComputedStyle(e).color")  # the label's colour
    page.emulate_media(forced_colors="none")

    # The keyboard: Tab to the button (after the skip link and the brand), Enter opens it.
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(menu).to_be_visible()
    expect(menu.get_by_role("link", name="払いもどし")).to_have_attribute("href", "/refunds/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    axe_check(page, where="the menu open at 360 px")
    page.keyboard.press("Tab")
    expect(menu.get_by_role("link", name="マイページ")).to_be_focused()
    page.keyboard.press("Escape")  # closes it and gives the focus back to the button
    expect(menu).to_be_hidden()
    expect(button).to_be_focused()
    expect(button).to_have_attribute("aria-expanded", "false")
    page.keyboard.press(" ")  # Space too
    expect(menu).to_be_visible()
    menu.get_by_role("link", name="払いもどし").click()
    expect(page.get_by_role("heading", name="払いもどし", level=1)).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.get_by_role("button", name="メニュー").click()
    page.screenshot(path=str(ARTIFACTS / "menu-open-360.png"))

    # On a wide screen: no button, the whole menu in one row beside or under the brand.
    page.set_viewport_size({"width": 1280, "height": 800})
    expect(page.get_by_role("button", name="メニュー")).to_be_hidden()
    expect(menu).to_be_visible()
    links = menu.locator("li")
    tops = {round(links.nth(i).bounding_box()["y"]) for i in range(links.count())}
    assert len(tops) == 1, tops


def test_without_javascript_the_menu_is_shown_and_the_button_is_not(browser, live_server):
    data = member_with_everything(payments=0)
    context = browser.new_context(viewport={"width": 360, "height": 800}, java_script_enabled=False)
    try:
        sign_in_browser(context, live_server, data.member)
        page = context.new_page()
        page.goto(live_server.url + "/")
        expect(page.locator("[data-menu-button]")).to_be_hidden()
        menu = page.get_by_role("navigation", name="メインメニュー")
        expect(menu.get_by_role("link", name="払いもどし")).to_be_visible()
        expect(menu.get_by_role("button", name="ログアウト")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        context.close()


def test_the_menu_fits_one_row_in_english(browser, live_server):
    data = member_with_everything(payments=0)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        sign_in_browser(context, live_server, data.member)
        context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}])
        page = context.new_page()
        page.goto(live_server.url + "/")
        menu = page.get_by_role("navigation", name="Main menu")
        expect(menu.get_by_role("link", name="Refunds")).to_be_visible()
        links = menu.locator("li")
        tops = {round(links.nth(i).bounding_box()["y"]) for i in range(links.count())}
        assert len(tops) == 1, tops
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "menu-english-1280.png"))
        page.set_viewport_size({"width": 360, "height": 800})  # the brand and "Menu" in one row
        expect(page.get_by_role("button", name="Menu")).to_be_visible()
        assert page.locator(".site-header").bounding_box()["height"] < 70
    finally:
        context.close()


# -- The focus ring and help's checklist --------------------------------------------------

# The focus ring's colour against what is just outside it (8 px beyond each side, where
# the 3 px ring drawn 2 px out meets the page): the background there, every stop of a
# gradient, whatever element is on top at that point.
RING_CONTRAST = """(element) => {
    const colours = (text) => (text.match(/rgba?\\([^)]*\\)/g) || []).map((c) => c.match(/[\\d.]+/g).map(Number));
    const luminance = ([r, g, b]) => {
        const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    // The colours seen at a point: the first opaque background (or gradient) up from the
    // element on top there, with the translucent ones above it blended in.
    const backgroundAt = (x, y) => {
        const layers = [];
        let below = [[255, 255, 255]];
        for (let e = document.elementFromPoint(x, y); e; e = e.parentElement) {
            const style = getComputedStyle(e);
            const stops = style.backgroundImage === "none" ? [] : colours(style.backgroundImage);
            if (stops.length) { below = stops; break; }
            const [colour] = colours(style.backgroundColor);
            if (!colour || (colour.length === 4 && colour[3] === 0)) continue;
            if (colour.length < 4 || colour[3] >= 1) { below = [colour]; break; }
            layers.push(colour);
        }
        return below.map((base) => layers.reduceRight(
            (under, [r, g, b, a]) => [r * a + under[0] * (1 - a), g * a + under[1] * (1 - a), b * a + under[2] * (1 - a)],
            base.slice(0, 3)));
    };
    const box = element.getBoundingClientRect(), d = 8;
    const points = [[box.left - d, box.top + box.height / 2], [box.right + d, box.top + box.height / 2],
                    [box.left + box.width / 2, box.top - d], [box.left + box.width / 2, box.bottom + d]]
        .filter(([x, y]) => x >= 0 && y >= 0 && x < innerWidth && y < innerHeight);
    const style = getComputedStyle(element);
    const ring = luminance(colours(style.outlineColor)[0]);
    let worst = {ratio: Infinity};
    for (const [x, y] of points) {
        for (const colour of backgroundAt(x, y)) {
            const other = luminance(colour);
            const ratio = (Math.max(ring, other) + 0.05) / (Math.min(ring, other) + 0.05);
            if (ratio < worst.ratio) worst = {ratio, against: "rgb(" + colour.slice(0, 3).map(Math.round).join(", ") + ")"};
        }
    }
    return {...worst, ring: style.outlineColor, outline: style.outlineStyle, width: parseFloat(style.outlineWidth),
            html: element.outerHTML.slice(0, 120)};
}"""


def test_the_focus_ring_has_3_to_1_against_what_is_beside_it(page, live_server):
    """WCAG 2.2 1.4.11: the ring the keyboard shows reaches 3:1 against the colours next to
    it, on マイページ's header, card plates, page and footer (the old amber #ffb000 was
    1.8:1 on white)."""
    data = member_with_everything(payments=0)
    sign_in_browser(page.context, live_server, data.member)
    backgrounds = set()
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(live_server.url + "/")
        page.evaluate(OPEN_EVERYTHING)
        page.locator("body").focus()
        for _ in range(80):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement === document.body"):
                break
            found = page.evaluate(RING_CONTRAST, page.evaluate_handle("document.activeElement"))
            assert found["outline"] == "solid" and found["width"] >= 2, found
            assert found["ratio"] >= 3, (found["html"], found)
            backgrounds.add(found["against"])
    assert {"rgb(0, 85, 143)", "rgb(255, 255, 255)", "rgb(228, 233, 238)"} <= backgrounds, backgrounds


def test_helps_checklist_is_numbered_steps_not_checkboxes(page, live_server):
    page.goto(live_server.url + "/help/")
    steps = page.locator("#not-responding ol.checklist > li")
    assert steps.count() >= 5
    marker = steps.first.evaluate(
        "(li) => { const s = getComputedStyle(li, '::before'); return {content: s.content, borderRadius: s.borderRadius}; }")
    assert marker["content"] == "counter(check)" or marker["content"].strip('"') == "1", marker["content"]
    assert marker["borderRadius"] == "50%", marker["borderRadius"]
