"""領収書・明細書 (/documents/) and 払いもどし (/refunds/), included from
portal/urls.py at the site root: URL namespace ``documents``."""

from django.urls import path

from billing.documents import views

app_name = "documents"

urlpatterns = [
    path("documents/", views.document_list, name="document-list"),
    path("documents/request/", views.document_request, name="document-request"),
    path("documents/usage-history/", views.usage_history_request, name="usage-history-request"),
    path("documents/<uuid:public_id>/", views.document_detail, name="document-detail"),
    path("documents/<uuid:public_id>/status/", views.document_status, name="document-status"),
    path("documents/<uuid:public_id>/download/", views.document_download, name="document-download"),
    path("documents/<uuid:public_id>/reprint/", views.document_reprint, name="document-reprint"),
    path("documents/<uuid:public_id>/retry/", views.document_retry, name="document-retry"),
    path("documents/<uuid:public_id>/email/", views.document_email_retry, name="document-email-retry"),
    path("refunds/", views.refund_list, name="refund-list"),
    path("refunds/<str:center_id>/statement/", views.refund_statement_request, name="refund-statement-request"),
]
