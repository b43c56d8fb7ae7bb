"""/settings/: e-mail preferences and language."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import Member
from accounts.services import member_settings_update
from accounts.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    return MemberFactory(email_pass_reminders=True, email_monthly_statement=False, language="ja")


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


def test_the_settings_form_has_labelled_fields_and_the_csrf_token(member_client, member):
    page = member_client.get("/settings/").content.decode()

    assert '<label for="id_email_pass_reminders">定期券の有効期限のお知らせを受け取る</label>' in page
    assert '<label for="id_email_monthly_statement">毎月の利用明細書を受け取る</label>' in page
    assert 'id="id_email_pass_reminders" checked' in page
    assert 'id="id_email_monthly_statement" aria' in page  # not checked
    assert 'for="id_language_0"' in page and 'for="id_language_1"' in page
    assert 'value="ja" id="id_language_0" checked' in page
    assert "csrfmiddlewaretoken" in page
    assert member.email in page


def test_saving_the_preferences(member_client, member):
    response = member_client.post(
        "/settings/", {"email_monthly_statement": "on", "language": "ja"}, follow=True
    )

    assert response.redirect_chain == [("/settings/", 302)]
    assert "設定を保存しました。" in response.content.decode()
    member.refresh_from_db()
    assert member.email_pass_reminders is False
    assert member.email_monthly_statement is True


def test_choosing_english_sets_the_language_cookie(member_client, member):
    response = member_client.post("/settings/", {"email_pass_reminders": "on", "language": "en"})

    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "en"
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    member.refresh_from_db()
    assert member.language == "en"
    assert '<html lang="en">' in member_client.get("/settings/").content.decode()


def test_the_saved_language_follows_the_member_to_a_new_browser(member):
    """English chosen on one phone: signing in on another gives English pages without the
    language switch; the switch (a cookie) still decides for its browser."""
    member_settings_update(
        member=member, email_pass_reminders=True, email_monthly_statement=False, language="en"
    )
    phone = Client()
    assert phone.get("/help/").headers["Content-Language"] == "ja"  # signed out: Japanese
    phone.force_login(member)
    page = phone.get("/settings/")
    assert page.headers["Content-Language"] == "en" and '<html lang="en"' in page.content.decode()
    phone.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja"
    assert phone.get("/settings/").headers["Content-Language"] == "ja"
    phone.logout()
    assert Client().get("/help/").headers["Content-Language"] == "ja"


def test_an_unknown_language_is_refused_and_nothing_is_stored(member_client, member):
    response = member_client.post("/settings/", {"email_monthly_statement": "on", "language": "fr"})

    assert response.status_code == 400
    assert "errorlist" in response.content.decode()
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    member.refresh_from_db()
    assert (member.email_pass_reminders, member.email_monthly_statement, member.language) == (True, False, "ja")


def test_a_visitor_is_sent_to_sign_in(client):
    response = client.get("/settings/")
    assert response.status_code == 302 and response["Location"].startswith("/?next=")


def test_saving_without_the_csrf_token_is_refused(member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)

    response = client.post("/settings/", {"language": "en"})

    assert response.status_code == 403
    member.refresh_from_db()
    assert member.language == "ja" and member.email_pass_reminders is True


def test_the_service_stores_only_the_preferences(member):
    name = member.name
    member_settings_update(member=member, email_pass_reminders=False, email_monthly_statement=True, language="en")

    stored = Member.objects.get(pk=member.pk)
    assert (stored.email_pass_reminders, stored.email_monthly_statement, stored.language) == (False, True, "en")
    assert stored.name == name
    with pytest.raises(ValueError):
        member_settings_update(member=member, email_pass_reminders=True, email_monthly_statement=True, language="fr")
