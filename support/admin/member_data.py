"""Member data outside the member page, in the support center: documents,
payment cards, payment registrations, expiry reminders, usage and points.
Each admin is audited and, for agents and supervisors, within one member
(:class:`MemberDataAdmin`); usage and points get their read-only admins here."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse

from accounts.admin import ReadOnlyAdmin
from accounts.models import Member
from billing.models import Document, ExpiryReminder, PaymentMethod, PaymentRegistration
from cards.models import PointsEntry, UsageRecord
from support import roles, selectors, services


class MemberDataAdmin:
    """Mixed into the admin of every model that holds one member's data
    (documents, payment cards, payment registrations, usage, points).

    - An agent or a supervisor opens a list only within one member
      (``?member=<id>``, or ``?card__member=<id>`` for usage: the links on the
      member page); the unfiltered list (every member at once) is for
      operators (``support.browse_member_data``), and only they see the list
      in the menu.
    - Every list, detail page and PDF download writes ``support.member_view``
      for the member (each member shown, for an operator's unfiltered list):
      one INSERT per page.
    """

    member_path = "member"
    audit_page = ""

    def _member_id(self, obj) -> int | None:
        for part in self.member_path.split("__")[:-1]:
            obj = getattr(obj, part, None)
            if obj is None:
                return None
        return getattr(obj, f"{self.member_path.split('__')[-1]}_id", None)

    def has_module_permission(self, request) -> bool:
        return super().has_module_permission(request) and roles.may_browse_member_data(request.user)

    def lookup_allowed(self, lookup, value, request=None):
        return lookup == self.member_path or super().lookup_allowed(lookup, value, request)

    def _filtered_member(self, request) -> Member | None:
        value = request.GET.get(self.member_path)
        if value is None:
            return None
        member = selectors.members_visible().filter(pk=int(value)).first() if value.isdigit() else None
        if member is None:
            raise Http404
        return member

    def changelist_view(self, request, extra_context=None):
        member = self._filtered_member(request)
        if member is None and not roles.may_browse_member_data(request.user):
            if not self.has_view_permission(request):
                raise PermissionDenied
            # Agents and supervisors reach these lists from a member's page only.
            messages.info(request, "この一覧は会員ページから開いてください（会員を探してから）。")
            return HttpResponseRedirect(reverse("admin:index"))
        response = super().changelist_view(request, extra_context)
        cl = (getattr(response, "context_data", None) or {}).get("cl")
        if cl is not None and response.status_code == 200:
            if member is not None:
                services.member_view_record(staff=request.user, member=member, what=f"{self.audit_page}_list")
            else:
                services.member_reads_record(
                    staff=request.user, member_ids=[self._member_id(obj) for obj in cl.result_list],
                    what=f"{self.audit_page}_list",
                )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            obj = (getattr(response, "context_data", None) or {}).get("original")
            member_id = self._member_id(obj) if obj is not None else None
            if member_id is not None:
                services.member_reads_record(
                    staff=request.user, member_ids=[member_id], what=self.audit_page, object=str(obj.pk)
                )
        return response


class DocumentPdfAudit:
    def pdf_view(self, request, pk: int):
        response = super().pdf_view(request, pk)
        document = Document.objects.filter(pk=pk).only("member_id", "number").first()
        services.member_reads_record(
            staff=request.user, member_ids=[document.member_id], what="document_pdf", document_number=document.number
        )
        return response


def _audited(model, *, page: str, member_path: str = "member", extra=()):
    """Register ``model``'s admin again with the audit and the one-member rule."""
    current = type(admin.site._registry[model])
    admin.site.unregister(model)
    audited = type(
        current.__name__, (*extra, MemberDataAdmin, current), {"member_path": member_path, "audit_page": page,
                                                                "__module__": __name__}
    )
    admin.site.register(model, audited)


@admin.register(UsageRecord)
class UsageRecordAdmin(ReadOnlyAdmin):
    """A member's usage (from their page); every member's, for operators."""

    list_display = ("occurred_at", "card", "kind", "route", "amount", "balance")
    list_select_related = ("card",)
    fields = ("occurred_at", "card", "kind", "route", "amount", "balance", "payment_brand", "payment_last4")
    readonly_fields = fields
    actions = None

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("-occurred_at", "-id")

    @admin.display(description="内容")
    def route(self, record):
        stations = f"{record.from_station}→{record.to_station}" if record.from_station or record.to_station else ""
        return f"{stations}{record.merchant}" or "—"


@admin.register(PointsEntry)
class PointsEntryAdmin(ReadOnlyAdmin):
    """A member's WESTER points ledger (from their page); every member's, for operators."""

    list_display = ("occurred_at", "member", "kind", "points", "category")
    list_select_related = ("member",)
    fields = ("occurred_at", "member", "kind", "points", "category")
    readonly_fields = fields
    actions = None

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("-occurred_at", "-id")


_audited(Document, page="documents", extra=(DocumentPdfAudit,))
_audited(PaymentMethod, page="payment_methods")
_audited(PaymentRegistration, page="payment_registrations")
_audited(UsageRecord, page="usage", member_path="card__member")
_audited(PointsEntry, page="points")
_audited(ExpiryReminder, page="expiry_reminders", member_path="payment_method__member")
