"""Members in the support center: the search (by WESTER ID, name, e-mail or
ICOCA number, each member listed audited) and the member page, which replaces
the member change form for members; operators (superusers) keep the account
form for staff accounts. The actions on the member's behalf are in
support/admin/member_actions.py."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from accounts.admin import MemberAdmin
from accounts.models import Member
from billing.models import DocumentStatus
from support import roles, selectors, services
from support.admin.member_actions import ACTIONS, MemberActions

admin.site.unregister(Member)


@admin.register(Member)
class SupportMemberAdmin(MemberActions, MemberAdmin):
    """Operators (superusers) keep the account form for staff accounts; for a
    member, everyone who may see members gets the member page."""

    list_per_page = 50
    show_full_result_count = False
    search_fields = ("wester_id",)  # only to show the search box; get_search_results does the work
    search_help_text = "WESTER ID、氏名（一部）、メールアドレス、ICOCA番号（17文字、または末尾4〜6文字）のどれかで検索できます。"

    def get_list_display(self, request):
        if request.user.is_superuser:
            return ("member_name", "wester_id", "email", "is_staff", "last_signed_in_at")
        return ("member_name", "wester_id", "email", "is_active", "last_signed_in_at")

    def get_fieldsets(self, request, obj=None):
        """A staff account's form: one 「最終ログイン」 (the password sign-in),
        not also the WESTER ID one a staff account never has."""
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or obj.wester_id:
            return fieldsets
        return [
            (title, {**options, "fields": tuple(f for f in options["fields"] if f not in ("last_signed_in_at", "wester_id"))})
            for title, options in fieldsets
        ]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "groups" and field is not None:
            field.label_from_instance = lambda group: roles.group_label(group.name)  # サポート担当, not support_agent
        return field

    @admin.display(description="氏名")
    def member_name(self, member):
        return member.display_name

    def get_list_filter(self, request):
        return super().get_list_filter(request) if request.user.is_superuser else ()

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(wester_id__isnull=False, is_staff=False, is_superuser=False)

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            # Support finds a member by a key; it does not browse two million of them.
            return (queryset if request.user.is_superuser else queryset.none()), False
        ids, _kinds = selectors.member_search_ids(search_term, base=queryset)
        if request.user.is_superuser:
            ids += list(queryset.filter(username=search_term.strip()).values_list("pk", flat=True)[:1])
        return queryset.filter(pk__in=ids), False

    def changelist_view(self, request, extra_context=None):
        """Search results show names and e-mail addresses: each member listed
        gets an audit entry (one INSERT for the page)."""
        response = super().changelist_view(request, extra_context)
        cl = (getattr(response, "context_data", None) or {}).get("cl")
        if cl is not None and cl.query:
            shown = [member.pk for member in cl.result_list if member.wester_id and not member.is_staff]
            kinds = selectors.search_kinds(cl.query)
            services.member_reads_record(
                staff=request.user, member_ids=shown, what="search", search=",".join(kind.code for kind in kinds)
            )
        return response

    # --- The member page --------------------------------------------------------------------

    def _member(self, request, object_id) -> Member | None:
        member = self.get_object(request, unquote(object_id))
        if member is None or member.is_staff or member.is_superuser or not member.wester_id:
            return member if member is not None and request.user.is_superuser else None
        return member

    def change_view(self, request, object_id, form_url="", extra_context=None):
        member = self._member(request, object_id)
        if member is None:
            raise Http404
        if member.is_staff or member.is_superuser or not member.wester_id:
            return super().change_view(request, object_id, form_url, extra_context)  # an operator on a staff account
        if not self.has_view_permission(request, member):
            raise PermissionDenied
        if request.method != "GET":
            return HttpResponseRedirect(request.path)
        before = selectors.UsageCursor.decode(request.GET.get("before"))
        filtered = bool(request.GET.get("card") or request.GET.get("month"))
        services.member_view_record(
            staff=request.user, member=member, what="usage_page" if before or filtered else "member_page"
        )
        page = selectors.member_page(member, user=request.user, usage_before=before, usage_query=request.GET)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{member.display_name}（{member.wester_id}）",
            "member": member,
            "page": page,
            "may_act": roles.may_act_for_member(request.user),
            **{
                f"{slug.replace('-', '_')}_url": reverse("admin:accounts_member_support_action", args=[member.pk, slug])
                for slug in ACTIONS
            },
            "document_failed": DocumentStatus.FAILED,
            "document_ready": DocumentStatus.READY,
            "usage_first_page": before is not None,
        }
        return TemplateResponse(request, "support/member_page.html", context)
