"""The e-mail that carries a document's PDF."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation

from billing.models import Document
from billing.pdf import TITLES, long_date
from billing.receipts import JAPAN, yen


def document_message(document: Document, pdf: bytes, file_name: str) -> EmailMessage:
    language = document.language
    with translation.override(language):
        context = {
            "document": document,
            "member_name": document.addressee_name,
            "title": TITLES[document.kind][language],
            "issued_on": long_date(document.first_issued_at.astimezone(JAPAN).date(), language),
            "period_start": long_date(document.period_start, language) if document.period_start else "",
            "period_end": long_date(document.period_end, language) if document.period_end else "",
            "single_payment": bool(document.payment_ref),
            "total": yen(document.total_amount, language),
            "monthly": document.origin == "monthly",
            "site_name": str(settings.PORTAL_SITE_NAME),
        }
        subject = render_to_string(f"email/document_ready_subject.{language}.txt", context).strip()
        body = render_to_string(f"email/document_ready.{language}.txt", context)
    message = EmailMessage(subject=" ".join(subject.split()), body=body, to=[document.member.email])
    message.attach(file_name, pdf, "application/pdf")
    return message
