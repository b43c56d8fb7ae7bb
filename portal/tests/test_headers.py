"""The headers on every response: a strict Content-Security-Policy, a
Permissions-Policy, and ``Cache-Control: private, no-store`` on whatever a
signed-in user is shown (docs/decisions.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import path

from accounts.tests.factories import MemberFactory
from portal.urls import urlpatterns as portal_urlpatterns
from support import roles
from support.tests.helpers import staff_in, supervisor

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def assert_strict_policy(response) -> None:
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["form-action"][0] == "'self'"
    assert "http://127.0.0.1:9400" in policy["form-action"]  # the local WESTER ID: sign-in and sign-out
    header = response["Content-Security-Policy"]
    for loose in ("unsafe-inline", "unsafe-eval", "unsafe-hashes", "*", "http:", "https:"):
        assert loose not in header.split(), loose
    assert "'unsafe-inline'" not in header
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    assert "payment=()" in response["Permissions-Policy"]


def boom(request):
    raise RuntimeError("a broken page")


urlpatterns = [*portal_urlpatterns, path("test-boom/", boom)]


def test_a_member_page_and_the_sign_in_page_have_the_policy(client):
    assert_strict_policy(client.get("/"))
    client.force_login(MemberFactory())
    assert_strict_policy(client.get("/"))
    assert_strict_policy(client.get("/history/"))


def test_the_staff_sign_in_and_the_admin_have_the_policy(client):
    assert_strict_policy(client.get("/accounts/login/"))
    client.force_login(staff_in(roles.OPERATOR))  # unfiltered lists of member data are for operators only
    for url in ("/admin/", "/admin/accounts/member/", "/admin/billing/document/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_strict_policy(response)
        assert "<style" not in response.content.decode(), url


def test_the_sandbox_payment_pages_have_the_policy(client):
    response = client.get("/sandbox-pay/pay/no-such-session/")
    assert_strict_policy(response)


def test_error_pages_have_the_policy(client, settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__
    not_found = client.get("/no-such-page/")
    assert not_found.status_code == 404
    assert_strict_policy(not_found)

    broken = Client(raise_request_exception=False).get("/test-boom/")
    assert broken.status_code == 500
    assert_strict_policy(broken)

    refused = Client(enforce_csrf_checks=True).post("/i18n/setlang/", {"language": "en"})
    assert refused.status_code == 403
    assert_strict_policy(refused)
    assert "画面の有効期限が切れました" in refused.content.decode()
    assert "<style" not in refused.content.decode()  # the portal's page, not Django's inline-styled one


def test_form_action_names_the_payment_providers_origin_when_there_is_one(client, settings):
    # What portal/settings.py builds from PAYMENT_PROVIDER_ORIGIN (tested in a fresh process in
    # test_settings.py); here the header carries whatever the setting says.
    policy = settings.CONTENT_SECURITY_POLICY
    settings.CONTENT_SECURITY_POLICY = {
        **policy,
        "DIRECTIVES": {**policy["DIRECTIVES"], "form-action": ["'self'", "https://pay.example.net"]},
    }
    assert directives(client.get("/"))["form-action"] == ["'self'", "https://pay.example.net"]


# -- No inline script or style in any template a browser is sent -------------------

INLINE = [
    (re.compile(r"<style[\s>]", re.I), "a <style> element"),
    (re.compile(r"""\sstyle\s*=\s*["']""", re.I), "a style= attribute"),
    (re.compile(r"""\son[a-z]+\s*=\s*["']""", re.I), "an on...= event handler"),
    (re.compile(r"""href\s*=\s*["']\s*javascript:""", re.I), "a javascript: link"),
]
SCRIPT = re.compile(r"<script\b([^>]*)>", re.I)


def browser_templates() -> list[Path]:
    """Every template of the project's own that becomes a page: templates/ and each
    app's templates/, except the PDF layouts (WeasyPrint's, never sent to a browser)."""
    found = [p for p in (ROOT / "templates").rglob("*.html") if "pdf" not in p.relative_to(ROOT / "templates").parts]
    for app_dir in ROOT.iterdir():
        if app_dir.name.startswith(".") or app_dir.name in ("templates", "var", "node_modules"):
            continue
        found += [p for p in app_dir.rglob("templates/**/*.html") if ".venv" not in p.parts]
    return sorted(set(found))


def test_the_template_scan_finds_the_templates():
    names = {str(p.relative_to(ROOT)) for p in browser_templates()}
    assert "templates/base.html" in names
    assert "billing/payment_methods/providers/sandbox/templates/sandbox_pay/base.html" in names
    assert "templates/support/member_page.html" in names
    assert not any("/pdf/" in name for name in names)


@pytest.mark.parametrize("template", browser_templates(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_has_inline_script_or_style(template):
    text = template.read_text()
    for pattern, what in INLINE:
        match = pattern.search(text)
        assert match is None, f"{what} at {text[max(0, match.start() - 40):match.end() + 40]!r}: move it to static/"
    for attributes in SCRIPT.findall(text):
        assert "src=" in attributes or 'type="application/json"' in attributes, (
            f"an inline <script{attributes}>: move it to static/js/"
        )


def test_the_scan_catches_each_kind_of_inline_code():
    samples = ['<style>p{}</style>', '<p style="color:red">', '<a onclick="x()">', '<a href="javascript:x()">']
    for sample, (pattern, _) in zip(samples, INLINE, strict=True):
        assert pattern.search(sample)
    assert SCRIPT.findall("<script>alert(1)</script>") == [""]


def test_settings_name_no_loose_source():
    flat = " ".join(" ".join(v) for v in settings.CONTENT_SECURITY_POLICY["DIRECTIVES"].values() if v)
    assert "unsafe" not in flat


# -- Cache-Control on what a signed-in user is shown --------------------------------


def member_urls(member) -> list[str]:
    from billing.tests.factories import PaymentMethodFactory
    from cards.tests.factories import CardFactory, UsageRecordFactory
    from support.tests.helpers import document

    card = CardFactory(member=member)
    UsageRecordFactory(card=card)
    method = PaymentMethodFactory(member=member)
    registration = payment_registration(member)
    receipt = document(member, number="R-2026-0000001")
    return [
        "/", f"/cards/{card.public_id}/", "/history/", "/history/export.csv", "/points/", "/help/",
        "/payment-methods/", f"/payment-methods/{method.public_id}/remove/",
        f"/payment-methods/registrations/{registration.public_id}/", "/settings/", "/lost-device/",
        f"/lost-device/confirm/?device={card.device}", f"/lost-device/done/?device={card.device}",
        "/documents/", f"/documents/{receipt.public_id}/", f"/documents/{receipt.public_id}/status/",
        f"/documents/{receipt.public_id}/download/", "/refunds/", "/accounts/sessions/",
    ]


def payment_registration(member):
    import uuid
    from datetime import timedelta

    from django.utils import timezone

    from billing.models import PaymentRegistration

    return PaymentRegistration.objects.create(
        member=member, provider="sandbox", nonce=uuid.uuid4().hex, expires_at=timezone.now() + timedelta(hours=1),
        status="failed", failure_code="declined", completed_at=timezone.now(),
    )


# URL names of the member's pages that answer a GET with no page of their own: form posts
# (and the provider's return, which redirects on), the sign-in and its callback.
NOT_MEMBER_PAGES = {
    "cards:card-rename", "documents:document-request", "documents:document-reprint", "documents:document-retry",
    "documents:document-email-retry", "documents:refund-statement-request", "documents:usage-history-request",
    "billing:payment-method-register", "billing:payment-method-return", "billing:payment-method-set-default",
    "accounts:oidc-callback", "accounts:oidc-login", "accounts:card-name",
}


def test_the_member_page_list_names_every_member_page():
    """A new page of the member apps that is left out of member_urls() fails here, so the
    Cache-Control test above (and the browser's CSP test, which uses the same list) cannot
    forget it."""
    from django.urls import get_resolver, resolve

    member = MemberFactory()
    listed = {resolve(url.split("?")[0]).view_name for url in member_urls(member)}
    every = set()

    def walk(patterns, namespace=""):
        for entry in patterns:
            if hasattr(entry, "url_patterns"):
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                walk(entry.url_patterns, inner)
            elif entry.name:
                every.add(f"{namespace}{entry.name}")

    walk(get_resolver().url_patterns)
    members_apps = {name for name in every if name.split(":")[0] in ("cards", "documents", "billing", "accounts")}
    members_apps |= {"home", "usersessions_list"}
    assert members_apps - NOT_MEMBER_PAGES - listed == set()


def test_every_member_page_is_private_and_not_stored(client):
    member = MemberFactory()
    client.force_login(member)
    urls = member_urls(member)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        directives_ = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"private", "no-store"} <= directives_, (url, response["Cache-Control"])
        assert "public" not in directives_, url


def test_an_error_answer_to_a_member_is_not_stored_either(client):
    client.force_login(MemberFactory())
    for url in ("/lost-device/confirm/", "/cards/00000000-0000-0000-0000-000000000000/"):
        response = client.get(url)
        assert response.status_code in (400, 404), url
        assert "no-store" in response["Cache-Control"], url


def test_the_staff_pages_are_not_stored(client):
    client.force_login(supervisor())
    response = client.get("/admin/accounts/member/")
    assert {"private", "no-store"} <= {part.strip() for part in response["Cache-Control"].split(",")}


def test_a_visitors_sign_in_page_is_left_to_the_defaults(client):
    # Nothing of a member on it; the header is for signed-in users only.
    response = client.get("/help/")
    assert "no-store" not in response.get("Cache-Control", "")


@pytest.mark.parametrize(
    "cache_control",
    [None, "", "max-age=0, no-cache, no-store, must-revalidate, private", "public, max-age=600",
     "Max-Age=60", 'no-cache="Set-Cookie", private', "private, no-store"],
)
def test_the_signed_in_header_is_the_one_patch_cache_control_makes(cache_control):
    from django.http import HttpResponse
    from django.utils.cache import patch_cache_control

    from portal.middleware import private_no_store

    response = HttpResponse()
    if cache_control is not None:
        response["Cache-Control"] = cache_control
    patch_cache_control(response, private=True, no_store=True)
    assert private_no_store(cache_control) == response["Cache-Control"]


def test_the_signed_in_header_is_worked_out_once_per_value(client, monkeypatch):
    from django.utils import cache

    from portal import middleware

    middleware.private_no_store.cache_clear()
    patched = []
    original = cache.patch_cache_control
    monkeypatch.setattr(middleware, "patch_cache_control", lambda *a, **k: patched.append(1) or original(*a, **k))
    client.force_login(MemberFactory())
    for _ in range(3):
        assert client.get("/help/")["Cache-Control"] == "private, no-store"
    assert len(patched) == 1
