"""The site's front door, ``/`` (URL name ``home``, with no namespace): the
sign-in page for a visitor, マイページ for a member. Every app and the
allauth templates link to it by that name, so it lives outside the ``cards``
namespace that cards/urls.py declares."""

from django.urls import path

from cards import views

urlpatterns = [
    path("", views.home, name="home"),
]
