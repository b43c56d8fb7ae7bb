"""Reads of documents that views and tasks share. Every read is scoped to the
signed-in member: another member's document is simply not found (404)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connections, router
from django.db.models import QuerySet

from billing.documents.models import Document, DocumentKind
from cards.models import Refund
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


#: The list's documents, a page at a time, and how many there are: written out rather than
#: built by the ORM, whose compiling of the search (the two JSON keys, the refund's join, the
#: deferred content, the filters, the order) was most of the list's reads' CPU (a page of
#: twenty and the count: 2.65 ms with the ORM, 0.82 ms with these; 300 reads, medians,
#: 2026-12-07). ``{where}`` is made of the fixed conditions of :func:`_search_conditions`,
#: never of what was typed (a parameter).
DOCUMENT_COUNT_SQL = "SELECT COUNT(*) FROM {documents} d WHERE {where}"
DOCUMENT_PAGE_SQL = (
    "SELECT d.id, d.public_id, d.kind, d.number, d.period_start, d.period_end, d.payment_ref, d.language,"
    " d.total_amount, d.status, d.first_issued_at, d.reissue_count, d.reissue_of_id, d.emailed_at,"
    " d.email_failed_reason, d.refund_id, d.member_id, d.content -> 'scope' AS content_scope,"
    " d.content -> 'cards' -> 0 AS content_card, r.refunded_at AS refund_refunded_at"
    " FROM {documents} d LEFT JOIN {refunds} r ON r.id = d.refund_id"
    " WHERE {where} ORDER BY d.requested_at DESC, d.id DESC LIMIT %s OFFSET %s"
)


def _search_conditions(member, search: DocumentSearch) -> tuple[str, list]:
    """The member's originals that ``search`` finds, as SQL over ``d`` and its parameters."""
    where, params = ["d.member_id = %s", "d.reissue_of_id IS NULL"], [member.pk]
    if search.issued_from is not None:
        where.append("d.first_issued_at >= %s")
        params.append(japan_midnight(search.issued_from))
    if search.issued_to is not None:
        where.append("d.first_issued_at < %s")
        params.append(japan_midnight(search.issued_to + timedelta(days=1)))
    if search.amount_min is not None:
        where.append("d.total_amount >= %s")
        params.append(search.amount_min)
    if search.amount_max is not None:
        where.append("d.total_amount <= %s")
        params.append(search.amount_max)
    if search.kind in DocumentKind.values:
        where.append("d.kind = %s")
        params.append(search.kind)
    return " AND ".join(where), params


class DocumentList:
    """The list's documents, newest request first, for a ``Paginator``: ``count()`` is one
    query (:data:`DOCUMENT_COUNT_SQL`), a page another (:data:`DOCUMENT_PAGE_SQL`, none for
    an empty page), whatever the number of documents. A page's documents come without
    their stored content (a usage history's holds every line it prints) but with the two
    parts of it the list shows (``content_scope``, ``content_card``: JSON, as text or
    decoded, as the database gives them), the refund's ``refund_refunded_at`` for a
    statement, and their member known (no query for it)."""

    ordered = True

    def __init__(self, member, search: DocumentSearch):
        self.member = member
        self.where, self.params = _search_conditions(member, search)
        self.database = router.db_for_read(Document)

    def count(self) -> int:
        sql = DOCUMENT_COUNT_SQL.format(documents=Document._meta.db_table, where=self.where)
        with connections[self.database].cursor() as cursor:
            cursor.execute(sql, self.params)
            return cursor.fetchone()[0]

    def __getitem__(self, page: slice) -> list[Document]:
        start, stop = page.start or 0, page.stop
        if stop <= start:
            return []
        sql = DOCUMENT_PAGE_SQL.format(
            documents=Document._meta.db_table, refunds=Refund._meta.db_table, where=self.where
        )
        found = list(Document.objects.raw(sql, [*self.params, stop - start, start], using=self.database))
        member_field = Document._meta.get_field("member")
        for document in found:
            member_field.set_cached_value(document, self.member)
        return found


def refund_statements(member, refunds) -> dict[int, Document]:
    """The statement (original) of each of ``refunds``, by refund id."""
    found = Document.objects.filter(
        member=member, kind=DocumentKind.REFUND_STATEMENT, reissue_of__isnull=True, refund__in=refunds
    ).order_by("requested_at")
    return {document.refund_id: document for document in found}
