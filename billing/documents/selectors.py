"""Reads of documents that views and tasks share. Every read is scoped to the
signed-in member: another member's document is simply not found (404)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import QuerySet
from django.db.models.fields.json import KeyTransform

from billing.documents.models import Document, DocumentKind
from cards.window import japan_midnight


def member_documents(member) -> QuerySet[Document]:
    """The member's documents (originals; a reprint is reached from its
    original), newest request first."""
    return (
        Document.objects.filter(member=member, reissue_of__isnull=True)
        .order_by("-requested_at", "-id")
    )


def document_reprints(document: Document) -> list[Document]:
    """The reprints of ``document``'s original (one per language at most), Japanese first."""
    original_id = document.reissue_of_id or document.pk
    return sorted(Document.objects.filter(reissue_of_id=original_id), key=lambda reprint: reprint.language != "ja")


def member_document(member, public_id) -> Document:
    """One of the member's documents, original or reprint; ``Document.DoesNotExist`` otherwise."""
    return Document.objects.select_related("reissue_of", "member").get(member=member, public_id=public_id)


@dataclass(frozen=True)
class DocumentSearch:
    """What a member searches their documents by (7-year tax records): issue
    date range (Japan dates), amount range (yen) and kind."""

    issued_from: date | None = None
    issued_to: date | None = None
    amount_min: int | None = None
    amount_max: int | None = None
    kind: str = ""

    @property
    def active(self) -> bool:
        return any(v not in (None, "") for v in (self.issued_from, self.issued_to, self.amount_min, self.amount_max,
                                                  self.kind))


def search_documents(member, search: DocumentSearch) -> QuerySet[Document]:
    """The list's documents: without their stored content (a usage history's holds every line
    it prints), only the two parts of it the list shows, and the refund a statement names."""
    documents = (
        member_documents(member)
        .defer("content")
        .annotate(content_scope=KeyTransform("scope", "content"),
                  content_card=KeyTransform("0", KeyTransform("cards", "content")))
        .select_related("refund", "member")
    )
    if search.issued_from is not None:
        documents = documents.filter(first_issued_at__gte=japan_midnight(search.issued_from))
    if search.issued_to is not None:
        documents = documents.filter(first_issued_at__lt=japan_midnight(search.issued_to + timedelta(days=1)))
    if search.amount_min is not None:
        documents = documents.filter(total_amount__gte=search.amount_min)
    if search.amount_max is not None:
        documents = documents.filter(total_amount__lte=search.amount_max)
    if search.kind in DocumentKind.values:
        documents = documents.filter(kind=search.kind)
    return documents


def refund_statements(member, refunds) -> dict[int, Document]:
    """The statement (original) of each of ``refunds``, by refund id."""
    found = Document.objects.filter(
        member=member, kind=DocumentKind.REFUND_STATEMENT, reissue_of__isnull=True, refund__in=refunds
    ).order_by("requested_at")
    return {document.refund_id: document for document in found}
