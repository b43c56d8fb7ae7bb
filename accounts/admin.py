from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin
from django.http import Http404

from accounts.models import AuditEvent, Member


class ReadOnlyAdmin(admin.ModelAdmin):
    """A screen staff look at and never change: no add, change or delete, and no full count
    of a large table."""

    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


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

    def user_change_password(self, request, id, form_url=""):
        member = self.get_object(request, unquote(id))
        if member is not None and member.is_member:
            raise Http404  # an operator sets a staff password here; a member never has one
        return super().user_change_password(request, id, form_url)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The audit trail, read only: support looks, nobody edits."""

    list_display = ("at", "action", "member", "actor", "reason")
    # Exact keys only: a pattern search or a date hierarchy would read the whole table.
    search_fields = ("member__wester_id__exact", "actor__username__exact", "action__exact")
    search_help_text = "会員のWESTER ID、スタッフのユーザー名、または操作名（例：support.member_view）で検索できます。"
    list_select_related = ("member", "actor")
    fields = ("at", "action", "member", "actor", "reason", "detail")
    readonly_fields = fields
