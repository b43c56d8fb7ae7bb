"""Support-center screens for payment methods: read only. The provider's
token is never shown; staff see the brand, last four digits and expiry."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdmin
from billing.models import Document, DocumentStatus, ExpiryReminder, PaymentMethod, PaymentRegistration


@admin.register(PaymentMethod)
class PaymentMethodAdmin(ReadOnlyAdmin):
    list_display = ("label", "member", "funding", "expiry_display", "is_default", "created_at", "removed_at")
    list_filter = ("brand", "funding", "is_default")
    search_fields = ("member__wester_id", "last4")
    list_select_related = ("member",)
    fields = (
        "public_id", "member", "provider", "brand", "last4", "exp_month", "exp_year", "funding",
        "holder_name", "is_default", "created_at", "removed_at",
    )
    readonly_fields = fields


@admin.register(PaymentRegistration)
class PaymentRegistrationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "member", "status", "failure_code", "three_ds", "brand", "last4", "funding")
    list_filter = ("status", "failure_code", "three_ds")
    search_fields = ("member__wester_id", "public_id")
    list_select_related = ("member",)
    date_hierarchy = "created_at"
    fields = (
        "public_id", "member", "provider", "status", "failure_code", "three_ds", "brand", "last4", "funding",
        "payment_method", "created_at", "expires_at", "completed_at",
    )
    readonly_fields = fields


@admin.register(ExpiryReminder)
class ExpiryReminderAdmin(ReadOnlyAdmin):
    list_display = ("payment_method", "expires_on", "created_at", "sent_at")
    list_select_related = ("payment_method",)
    fields = ("payment_method", "expires_on", "created_at", "sent_at")
    readonly_fields = fields


# --- Documents ---------------------------------------------------------------------------


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    """Receipts and refund statements as issued: read only (a document never
    changes); staff can download the stored PDF and retry a failed one."""

    list_display = ("number", "kind", "origin", "member", "status", "total_amount", "first_issued_at",
                    "requested_at", "emailed_at", "reissue_count")
    list_filter = ("kind", "status", "origin", "language")
    search_fields = ("number__exact", "member__wester_id__exact", "public_id__exact")
    list_select_related = ("member",)
    actions = ["retry_failed"]
    fields = (
        "public_id", "number", "kind", "origin", "member", "reissue_of", "period_start", "period_end", "payment_ref",
        "refund", "language", "total_amount", "issuer_name", "issuer_registration_number", "addressee_name",
        "status", "failure_reason", "attempts", "pdf_download", "sha256", "requested_at", "queued_at",
        "rendering_started_at", "first_issued_at", "rendered_at", "reissue_count", "emailed_at", "email_attempts",
        "email_failed_reason",
    )
    readonly_fields = fields

    def get_urls(self):
        from django.urls import path

        return [
            path("<int:pk>/pdf/", self.admin_site.admin_view(self.pdf_view), name="billing_document_pdf"),
            *super().get_urls(),
        ]

    def pdf_view(self, request, pk: int):
        from django.http import FileResponse, Http404

        from billing.document_views import attachment_disposition
        from billing.documents import file_name

        document = Document.objects.filter(pk=pk, status=DocumentStatus.READY).first()
        if document is None or not self.has_view_permission(request, document):
            raise Http404("no such document")
        response = FileResponse(document.file.open("rb"), content_type="application/pdf")
        response["Content-Disposition"] = attachment_disposition(file_name(document), f"{document.number}.pdf")
        response["Cache-Control"] = "private, no-store"
        return response

    @admin.display(description=_("PDF"))
    def pdf_download(self, document: Document) -> str:
        if document.status != DocumentStatus.READY:
            return "—"
        from django.urls import reverse
        from django.utils.html import format_html

        return format_html('<a href="{}">{}</a>', reverse("admin:billing_document_pdf", args=[document.pk]),
                           _("ダウンロード"))

    def get_actions(self, request):
        # Support staff re-run a document from the member's page, with a
        # reason for the audit trail; the bulk action is for operators.
        actions = super().get_actions(request)
        if not request.user.is_superuser:
            actions.pop("retry_failed", None)
        return actions

    @admin.action(description=_("作成できなかった書類をもう一度作成する"))
    def retry_failed(self, request, queryset):
        from accounts.services import audit_record
        from billing.document_services import document_retry

        retried = 0
        for document in queryset.filter(status=DocumentStatus.FAILED).select_related("member"):
            document_retry(member=document.member, document=document)
            audit_record(
                actor=request.user, member=document.member, action="document_retry",
                detail={"document": document.number}, reason="operator: bulk retry from the documents list",
            )
            retried += 1
        self.message_user(request, _("%(count)d件の作成をやり直します。") % {"count": retried})
