"""State changes for documents (利用明細書（領収書）, 払いもどし計算書, 利用履歴証明).

A request checks the document window, composes the content (the snapshot) and
creates the ``Document`` row ``pending`` in one transaction; after commit the
render task is sent to the ``documents`` queue. When the broker cannot be
reached the row simply stays ``pending`` (nothing is lost) and the beat task
:func:`documents_requeue_stuck` sends it again later.

Rendering and e-mailing can run twice with the same result: each takes the row
with ``select_for_update`` and returns when the work is already done, so a
replayed message neither makes a second document nor sends a second e-mail.
The e-mail itself is billing/documents/emailing.py.

The rooms: ``issuing`` (number, language, the row, the render task), ``requests`` (what a
member asks for), ``making`` (the render task and beat's resending), ``monthly`` (the monthly
statement). Callers use this package's names.
"""

from billing.documents.exceptions import DocumentNotReady, DocumentRequestInvalid, NoCardPayments
from billing.documents.services.issuing import (
    RENDER_TASK,
    DocumentRequested,
    document_language,
    send_render,
    send_render_on_commit,
)
from billing.documents.services.making import (
    EMAIL_RESEND_AFTER,
    PENDING_RESEND_AFTER,
    RENDERING_RESEND_AFTER,
    document_render,
    document_render_failed,
    documents_requeue_stuck,
)
from billing.documents.services.monthly import monthly_statement_create, monthly_statement_members
from billing.documents.services.requests import (
    NO_USAGE,
    UNKNOWN_STATION,
    document_reprint,
    document_retry,
    month_bounds,
    receipt_request,
    receipt_request_month,
    receipt_request_payment,
    refund_statement_request,
    usage_history_request,
)

__all__ = [
    "EMAIL_RESEND_AFTER",
    "NO_USAGE",
    "PENDING_RESEND_AFTER",
    "RENDERING_RESEND_AFTER",
    "RENDER_TASK",
    "UNKNOWN_STATION",
    "DocumentNotReady",
    "DocumentRequestInvalid",
    "DocumentRequested",
    "NoCardPayments",
    "document_language",
    "document_render",
    "document_render_failed",
    "document_reprint",
    "document_retry",
    "documents_requeue_stuck",
    "month_bounds",
    "monthly_statement_create",
    "monthly_statement_members",
    "receipt_request",
    "receipt_request_month",
    "receipt_request_payment",
    "refund_statement_request",
    "send_render",
    "send_render_on_commit",
    "usage_history_request",
]
