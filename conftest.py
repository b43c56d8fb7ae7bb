"""Test harness shared by every app: the environment, the local identity
provider (a real oidc-provider-mock process) and Playwright with Debian's
Chromium."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
# The test environment (eager tasks, a throwaway var/ folder) is set by
# portal/settings_test.py, which pytest-django loads before this file.

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


# axe-core from npm (package.json; `make test` installs it) for the accessibility checks.
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.2 level A and AA, as axe-core tags them (2.0, 2.1 and 2.2 additions).
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_url(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 (local URL)
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.fixture(autouse=True)
def _clear_cache(request):
    """Rate limits and cached sessions live in the cache: each test that
    touches Django starts clean (pure-module tests need no Django at all)."""
    if request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(request.fixturenames):
        from django.core.cache import cache

        cache.clear()
    yield


@pytest.fixture(autouse=True)
def _default_language_afterwards(request):
    """portal.locale.LanguageMiddleware (and a sign-in) leave the request's language active in
    the thread, as Django's LocaleMiddleware does: each test leaves Japanese behind."""
    yield
    if "django" in sys.modules and request.node.get_closest_marker("django_db") is not None:
        from django.conf import settings
        from django.utils import translation

        translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(scope="session")
def identity_provider_url():
    """A real local OpenID Connect provider process (oidc-provider-mock) with
    the demo members, on 127.0.0.1 and a free port."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "run_identity_provider", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_url(f"{url}/.well-known/openid-configuration")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def wester_id(settings, identity_provider_url):
    """Point the `wester-id` app at the local provider for this test."""
    app = dict(settings.SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"][0])
    app["settings"] = {**app["settings"], "server_url": identity_provider_url}
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {**settings.SOCIALACCOUNT_PROVIDERS["openid_connect"], "APPS": [app]}
    }
    # Signing in and out are form posts that redirect to the provider: the CSP's form-action
    # names its origin (portal/settings.py), here the test provider's port.
    policy = settings.CONTENT_SECURITY_POLICY
    directives = policy["DIRECTIVES"]
    settings.CONTENT_SECURITY_POLICY = {
        **policy,
        "DIRECTIVES": {**directives, "form-action": [*directives["form-action"], identity_provider_url]},
    }
    return identity_provider_url


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test`, which installs Debian's chromium package")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


class CSPViolations(list):
    """Every Content-Security-Policy violation Chromium reports in a browser context:
    the ``securitypolicyviolation`` events of each page (and frame) and the console's
    "Refused to ..." errors. A test's browser context must end with none."""

    LISTENER = """
        document.addEventListener("securitypolicyviolation", (event) => {
            console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"} `
                + `on ${event.documentURI}${event.sample ? " (" + event.sample + ")" : ""}`);
        });
    """

    def watch(self, context):
        context.add_init_script(self.LISTENER)  # Playwright's init scripts are not subject to the CSP
        context.on("console", self._console)
        return self

    def _console(self, message):
        text = message.text
        if message.type == "error" and ("Content Security Policy" in text or text.startswith("CSP violation")):
            self.append(f"{message.location.get('url', '')}: {text}")

    def check(self):
        assert not self, "Content-Security-Policy violations:\n" + "\n".join(self)


@pytest.fixture
def csp_violations():
    """Collects the CSP violations of the browser contexts a test watches; fails the
    test at its end if there were any."""
    violations = CSPViolations()
    yield violations
    violations.check()


@pytest.fixture
def page(request, browser, csp_violations):
    """A fresh browser context per test (360 px phone by default); a failing
    test leaves a full-page screenshot in test-artifacts/. A Content-Security-Policy
    violation on any page the test opens fails it (csp_violations)."""
    context = browser.new_context(viewport={"width": 360, "height": 800}, locale="ja-JP")
    context.set_default_timeout(15_000)
    csp_violations.watch(context)
    page = context.new_page()
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{request.node.name}.png"
        try:
            page.screenshot(path=str(path), full_page=True)
            print(f"screenshot of the failing page: {path}")
        except Exception as error:  # the page may be gone; the failure itself is what matters
            print(f"no screenshot: {error}")
    context.close()


def axe_violations(page, tags=AXE_TAGS) -> list[dict]:
    """Runs axe-core on the page as it is now and returns its violations.

    axe is evaluated through the DevTools protocol rather than added as a
    <script> element: the portal's Content-Security-Policy forbids inline
    scripts, and an injected tag would be blocked (and would itself show up
    as a CSP violation in the tests that listen for them)."""
    if not AXE_SCRIPT.exists():
        pytest.fail(f"{AXE_SCRIPT.relative_to(ROOT)} is missing: run `make test`, which installs axe-core with npm")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8") + "\n;undefined")
    return page.evaluate(
        """async (tags) => {
            const results = await window.axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
            return results.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map((n) => ({target: n.target.join(" "), html: n.html, summary: n.failureSummary})),
            }));
        }""",
        list(tags),
    )


def format_axe_violations(violations: list[dict], where: str = "") -> str:
    lines = [f"{len(violations)} WCAG 2.2 A/AA violation(s) found by axe-core" + (f" on {where}" if where else "") + ":"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>")
        for node in violation["nodes"][:10]:
            lines.append(f"    at {node['target']}: {node['html'][:160]}")
            summary = " ".join((node["summary"] or "").split())
            if summary:
                lines.append(f"      {summary[:300]}")
        if len(violation["nodes"]) > 10:
            lines.append(f"    … and {len(violation['nodes']) - 10} more")
    return "\n".join(lines)


def check_accessibility(page, where: str = "", tags=AXE_TAGS) -> None:
    """Asserts that axe-core finds no WCAG 2.2 A/AA violation on the page as
    it is now (open panels, messages and errors shown are checked too)."""
    violations = axe_violations(page, tags)
    if violations:
        pytest.fail(format_axe_violations(violations, where or page.url), pytrace=False)


@pytest.fixture
def axe_check():
    """`axe_check(page, where="…")`: zero WCAG 2.2 A/AA violations on the page
    as it is now, or a failure listing each rule, its help and the elements."""
    return check_accessibility
