"""The chrome's menu and language switch (``{% site_nav %}``, ``{% language_switch %}``,
portal/templatetags/menu.py): the markup base.html's tags wrote, byte for byte. The template
they replaced is the reference, rendered here for visitors and members, on every page of the
menu and elsewhere, in both languages, with an address that needs escaping."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import Engine, RequestContext
from django.test import RequestFactory, override_settings
from django.utils import translation

from accounts.tests.factories import MemberFactory
from portal import urls as portal_urls

pytestmark = pytest.mark.django_db

# The site without the documents app's pages (ROOT_URLCONF for one test).
urlpatterns = [pattern for pattern in portal_urls.urlpatterns if "billing.documents" not in str(getattr(pattern, "urlconf_name", ""))]

# What base.html had in place of the two tags.
ORIGINAL = """{% load i18n menu %}{% get_current_language as LANGUAGE_CODE %}{% menu_urls as nav %}{% menu_words as words %}
      {% if user.is_authenticated %}
      {% comment %}On a narrow screen the menu folds behind a disclosure button (static/js/menu.js;
      without JavaScript the button stays hidden and the menu is shown, wrapped).{% endcomment %}
      <button type="button" class="menu-button" aria-expanded="false" aria-controls="site-nav" data-menu-button>
        <span class="menu-button__icon" aria-hidden="true"></span>{{ words.menu }}
      </button>
      <nav class="site-nav" id="site-nav" aria-label="{{ words.main_menu }}">
        <ul class="site-nav__list">
          <li><a href="{{ nav.home }}"{% if request.path == "/" %} aria-current="page"{% endif %}>{{ words.home }}</a></li>
          {% if nav.history %}
          <li><a href="{{ nav.history }}"{% if nav.history in request.path %} aria-current="page"{% endif %}>{{ words.history }}</a></li>
          {% endif %}
          {% if nav.documents %}
          <li><a href="{{ nav.documents }}"{% if nav.documents in request.path %} aria-current="page"{% endif %}>{{ words.documents }}</a></li>
          {% endif %}
          {% if nav.refunds %}
          <li><a href="{{ nav.refunds }}"{% if nav.refunds in request.path %} aria-current="page"{% endif %}>{{ words.refunds }}</a></li>
          {% endif %}
          {% if nav.payment_methods %}
          <li><a href="{{ nav.payment_methods }}"{% if nav.payment_methods in request.path %} aria-current="page"{% endif %}>{{ words.payment_methods }}</a></li>
          {% endif %}
          {% if nav.settings %}
          <li><a href="{{ nav.settings }}"{% if nav.settings in request.path %} aria-current="page"{% endif %}>{{ words.settings }}</a></li>
          {% endif %}
          {% if nav.help %}
          <li><a href="{{ nav.help }}"{% if nav.help in request.path %} aria-current="page"{% endif %}>{{ words.help }}</a></li>
          {% endif %}
          <li>
            <form method="post" action="{{ nav.sign_out }}" class="inline-form">
              {% csrf_token %}
              <button type="submit" class="link-button">{{ words.sign_out }}</button>
            </form>
          </li>
        </ul>
      </nav>
      {% endif %}
      <form action="{{ nav.set_language }}" method="post" class="language-switch">
        {% csrf_token %}
        <input name="next" type="hidden" value="{{ request.get_full_path }}">
        <label for="language-select">{{ words.language }}</label>
        <select id="language-select" name="language">
          {% get_available_languages as LANGUAGES %}
          {% for code, name in LANGUAGES %}
          <option value="{{ code }}" {% if code == LANGUAGE_CODE %}selected{% endif %} lang="{{ code }}">{% if code == "ja" %}日本語{% else %}English{% endif %}</option>
          {% endfor %}
        </select>
        <button type="submit" class="button button--small">{{ words.switch_language }}</button>
      </form>"""
NOW = """{% load menu %}
      {% site_nav %}
      {% language_switch %}"""

PATHS = ["/", "/history/", "/history/?month=2026-11&kind=ride", "/documents/", "/refunds/", "/payment-methods/",
         "/settings/", "/help/", "/points/", "/cards/1/", '/help/?q="<x>&y=1']


TOKEN = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+')


def _render(source: str, request) -> str:
    """The markup, each CSRF token (masked afresh on every render) written as "X"."""
    page = Engine.get_default().from_string(source).render(RequestContext(request, {"user": request.user}))
    return TOKEN.sub(r"\1X", page)


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("signed_in", [True, False])
def test_the_chrome_is_what_base_html_wrote(language, signed_in):
    member = MemberFactory() if signed_in else AnonymousUser()
    for path in PATHS:
        request = RequestFactory().get(path)
        request.user = member
        with translation.override(language):
            original = _render(ORIGINAL, request)
            now = _render(NOW, request)
        assert now == original, path
    assert ("aria-current" in original) is signed_in


def test_the_pages_of_an_app_not_installed_are_left_out():
    """A urlconf without an app's pages: its item is not in the menu, as {% if nav.x %} left it."""
    request = RequestFactory().get("/")
    request.user = MemberFactory()
    with override_settings(ROOT_URLCONF=__name__):
        original, now = _render(ORIGINAL, request), _render(NOW, request)
    assert now == original
    assert "/documents/" not in now and "/history/" in now


def test_the_two_forms_carry_the_same_csrf_token():
    request = RequestFactory().get("/history/")
    request.user = MemberFactory()
    page = Engine.get_default().from_string(NOW).render(RequestContext(request, {"user": request.user}))
    tokens = [part.split('"', 1)[0] for part in page.split('name="csrfmiddlewaretoken" value="')[1:]]
    assert len(tokens) == 2 and tokens[0] == tokens[1] and len(tokens[0]) == 64


def test_base_html_renders_the_chrome_with_the_two_tags():
    """The template language no longer walks the menu's items and forms on every page."""
    source = Engine.get_default().get_template("base.html").source
    assert "{% site_nav %}" in source and "{% language_switch %}" in source
    assert "{% csrf_token %}" not in source and "nav.history" not in source and "LANGUAGES" not in source
