from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from accounts.models import Member


@admin.register(Member)
class MemberAdmin(UserAdmin):
    list_display = ("display_name", "wester_id", "email", "is_staff", "last_signed_in_at")
    list_filter = ("is_staff", "is_active")
    search_fields = ("wester_id", "name", "email", "username")
    show_full_result_count = False
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("WESTER ID", {"fields": ("wester_id", "name", "last_name", "first_name", "email", "language")}),
        ("権限", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("日時", {"fields": ("last_login", "last_signed_in_at", "date_joined")}),
    )
    readonly_fields = ("wester_id", "last_login", "last_signed_in_at", "date_joined")
