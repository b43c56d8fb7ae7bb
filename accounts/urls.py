from django.urls import path

from accounts import oidc, views

app_name = "accounts"

urlpatterns = [
    path("settings/", views.member_settings, name="settings"),
    path("settings/card-name/", views.member_card_name, name="card-name"),
    # Before allauth's own (portal/urls.py includes this first): the callback that checks the
    # ID token's nonce and keeps the token for the sign-out (accounts/oidc.py).
    path("accounts/oidc/<str:provider_id>/login/", oidc.login, name="oidc-login"),
    path("accounts/oidc/<str:provider_id>/login/callback/", oidc.callback, name="oidc-callback"),
]
