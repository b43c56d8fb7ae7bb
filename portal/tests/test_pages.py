import pytest

from accounts.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def test_signed_out_home_is_the_sign_in_page(client):
    page = client.get("/").content.decode()
    assert "WESTER IDでログイン" in page
    assert 'action="/accounts/oidc/wester-id/login/"' in page
    assert "csrfmiddlewaretoken" in page


def test_signed_in_home_greets_the_member_by_name(client):
    client.force_login(MemberFactory(name="山田 花子"))
    page = client.get("/").content.decode()
    assert "マイページ" in page
    assert "山田 花子 さん、こんにちは。" in page


def test_every_page_has_the_operator_help_and_language_switch(client):
    page = client.get("/help/").content.decode()
    assert "西日本旅客鉄道株式会社" in page
    assert 'href="/help/"' in page
    assert 'action="/i18n/setlang/"' in page
    assert '<html lang="ja">' in page


def test_the_language_switch_shows_english(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, follow=True)
    page = response.content.decode()
    assert '<html lang="en">' in page
    assert "Sign in with WESTER ID" in page
    assert "West Japan Railway Company" in page


def test_an_unknown_page_is_a_friendly_404(client, settings):
    settings.DEBUG = False
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "ページが見つかりません" in response.content.decode()


def test_no_asset_comes_from_another_site(client):
    client.force_login(MemberFactory())
    page = client.get("/").content.decode()
    assert "http://" not in page.replace("http://testserver", "")
    assert "https://" not in page


def test_japanese_is_the_default_whatever_the_browser_asks_for(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="ja">' in page
    assert "WESTER IDでログイン" in page


def test_an_unknown_language_cookie_falls_back_to_japanese(client):
    client.cookies["django_language"] = "fr"
    assert '<html lang="ja">' in client.get("/").content.decode()
