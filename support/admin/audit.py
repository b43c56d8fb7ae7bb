"""The audit log in the support center: the whole log (every member, every
staff account) and 閲覧の記録, the staff reads of one member or by one staff
account, for supervisors and operators. Nobody can add, change or delete an
entry. Agents see a member's trail on the member page."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path

from accounts.admin import AuditEventAdmin
from accounts.models import AuditEvent
from support import roles, selectors
from support.forms import ReadsForm

admin.site.unregister(AuditEvent)


@admin.register(AuditEvent)
class SupportAuditEventAdmin(AuditEventAdmin):
    """The whole audit log (every member, every staff account): supervisors
    and operators. Agents see a member's trail on the member page. Nobody can
    add, change or delete an entry here, superusers included."""

    actions = None
    list_display = ("at", "words", "member", "actor", "reason")
    fields = ("at", "words", "action", "member", "actor", "reason", "detail")
    readonly_fields = fields

    @admin.display(description="操作")
    def words(self, event):
        from support.audit_words import audit_words

        return audit_words(event.action, event.detail, event.reason)

    def has_view_permission(self, request, obj=None) -> bool:
        return roles.sees_staff_audit(request.user)

    def has_module_permission(self, request) -> bool:
        return roles.sees_staff_audit(request.user)

    def get_urls(self):
        return [
            path("reads/", self.admin_site.admin_view(self.reads_view), name="accounts_auditevent_reads"),
            *super().get_urls(),
        ]

    def reads_view(self, request):
        """閲覧の記録: every staff read of one member (by WESTER ID), or every
        read by one staff account (by user name) over a period ("who looked at
        my data?"). Supervisors and operators."""
        if not roles.sees_staff_audit(request.user):
            raise PermissionDenied
        form = ReadsForm(request.GET or None)
        reads, subject = None, None
        if form.is_bound and form.is_valid():
            reads, subject = selectors.staff_reads(**form.cleaned_data)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "閲覧の記録",
            "form": form,
            "reads": reads,
            "subject": subject,
            "limit": selectors.READS_SHOWN,
        }
        return TemplateResponse(request, "support/staff_reads.html", context)
