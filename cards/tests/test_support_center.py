"""Wherever the portal sends a member to the support center it gives its phone number and
hours (DOMAIN.md, "Telling the member"), from the settings, in the page's language."""

from __future__ import annotations

import pytest

from cards.models import Device
from cards.tests.factories import CardFactory
from cards.tests.test_views import text

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def support_center(settings):
    settings.SUPPORT_CENTER_PHONE = "0570-123-456"
    settings.SUPPORT_CENTER_HOURS = "8:00〜22:00（年中無休）"
    settings.SUPPORT_CENTER_HOURS_EN = "8:00–22:00, every day"


def shows_the_center(html: str, language: str = "ja") -> bool:
    hours = "受付時間：8:00〜22:00（年中無休）" if language == "ja" else "Hours: 8:00–22:00, every day"
    return 'href="tel:0570123456"' in html and "0570-123-456" in html and hours in text_of(html)


def text_of(html: str) -> str:
    class Page:
        content = html.encode()

    return text(Page)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_help_gives_the_number_and_hours_in_the_contact_section(client, language):
    client.cookies["django_language"] = language
    html = client.get("/help/").content.decode()
    contact = html.split('id="contact"', 1)[1]
    assert shows_the_center(contact, language)
    assert shows_the_center(html.split('id="not-responding"', 1)[1].split("</section>", 1)[0], language)


def test_the_lost_device_pages_give_the_number(member_client, member):
    CardFactory(member=member, device=Device.IPHONE)
    confirm = member_client.get("/lost-device/confirm/?device=iphone").content.decode()
    assert shows_the_center(confirm)
    response = member_client.post("/lost-device/confirm/", {"device": "iphone"}, follow=True)
    assert response.redirect_chain and shows_the_center(response.content.decode())


def test_the_sign_in_error_page_gives_the_number(client, rf):
    from django.shortcuts import render

    request = rf.get("/accounts/oidc/wester-id/login/callback/")
    request.user = None
    html = render(request, "socialaccount/authentication_error.html").content.decode()
    assert shows_the_center(html)
