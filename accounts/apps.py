from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    default = True
    name = "accounts"
    verbose_name = "会員"

    def ready(self) -> None:
        from allauth.account.signals import user_logged_in
        from allauth.usersessions import signals as usersessions_signals

        from accounts import signals  # noqa: F401

        # accounts.sessions.user_session_record records the sign-in's session instead.
        user_logged_in.disconnect(receiver=usersessions_signals.on_user_logged_in)


class StaffAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "accounts.admin_site.StaffAdminSite"
