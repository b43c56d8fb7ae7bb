"""Staff accounts' screens of other apps, in Japanese: the groups by their
Japanese names (the support roles), the staff's authenticators (MFA) and
their sign-in sessions."""

from __future__ import annotations

from allauth.mfa.admin import AuthenticatorAdmin
from allauth.mfa.models import Authenticator
from allauth.usersessions.admin import UserSessionAdmin
from allauth.usersessions.models import UserSession
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group

from support import roles
from support.admin.display import when

admin.site.unregister(Group)
admin.site.unregister(Authenticator)
admin.site.unregister(UserSession)


@admin.register(Group)
class SupportGroupAdmin(GroupAdmin):
    """Groups by their Japanese names (the name stays the identifier)."""

    list_display = ("label", "name")

    @admin.display(description="役割", ordering="name")
    def label(self, group):
        return roles.group_label(group.name)


@admin.register(Authenticator)
class StaffAuthenticatorAdmin(AuthenticatorAdmin):
    list_display = ("owner", "kind", "created", "last_used")
    list_filter = ("type",)

    @admin.display(description="スタッフ", ordering="user__username")
    def owner(self, authenticator):
        return authenticator.user.username

    @admin.display(description="種類", ordering="type")
    def kind(self, authenticator):
        return {"totp": "認証アプリ（TOTP）", "recovery_codes": "リカバリーコード"}.get(authenticator.type, authenticator.type)

    @admin.display(description="登録日時", ordering="created_at")
    def created(self, authenticator):
        return when(authenticator.created_at)

    @admin.display(description="最終使用", ordering="last_used_at")
    def last_used(self, authenticator):
        return when(authenticator.last_used_at) if authenticator.last_used_at else "—"


@admin.register(UserSession)
class StaffUserSessionAdmin(UserSessionAdmin):
    list_display = ("owner", "started", "last_seen", "ip", "user_agent")

    @admin.display(description="アカウント", ordering="user__username")
    def owner(self, session):
        return session.user.username

    @admin.display(description="開始", ordering="created_at")
    def started(self, session):
        return when(session.created_at)

    @admin.display(description="最終アクセス", ordering="last_seen_at")
    def last_seen(self, session):
        return when(session.last_seen_at)
