"""Support-center screens for documents: read only, with the stored PDF and a retry."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdmin
from billing.documents.models import Document, DocumentStatus


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    """Receipts, refund statements and usage histories as issued: read only (a document never
    changes); staff can download the stored PDF and retry a failed one."""

    list_display = ("number", "kind", "origin", "member", "status", "total_amount", "first_issued_at",
                    "requested_at", "emailed_at", "reissue_count")
    list_filter = ("kind", "status", "origin", "language")
    search_fields = ("number__exact", "member__wester_id__exact", "public_id__exact")
    list_select_related = ("member",)
    actions = ["retry_failed"]
    fields = (
        "public_id", "number", "kind", "origin", "member", "reissue_of", "period_start", "period_end", "payment_ref", "scope",
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

        from billing.documents.composing import file_name
        from billing.documents.views import attachment_disposition

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
        from billing.documents.services import document_retry

        retried = 0
        for document in queryset.filter(status=DocumentStatus.FAILED).select_related("member"):
            document_retry(member=document.member, document=document)
            audit_record(
                actor=request.user, member=document.member, action="document_retry",
                detail={"document": document.number}, reason="operator: bulk retry from the documents list",
            )
            retried += 1
        self.message_user(request, _("%(count)d件の作成をやり直します。") % {"count": retried})
