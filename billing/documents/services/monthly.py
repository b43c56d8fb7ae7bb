"""The monthly statement (毎月の利用明細書): last month's receipt for each member who asked for
it by e-mail, made once per member and month."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction

from billing.documents import composing as documents
from billing.documents.models import Document, DocumentKind, DocumentOrigin
from billing.documents.services.issuing import document_create
from cards.window import month_last_day
from portal import mail


def monthly_statement_members(*, after: int = 0, limit: int | None = None) -> list[int]:
    """Members who asked for the monthly statement by e-mail, by id: the next ``limit`` of
    them after the id ``after`` (all of them without a limit)."""
    from accounts.models import Member

    found = (
        Member.objects.filter(email_monthly_statement=True, is_active=True, id__gt=after)
        .exclude(email="")
        .order_by("id")
        .values_list("id", flat=True)
    )
    return list(found if limit is None else found[:limit])


def monthly_statement_create(*, member_id: int, year: int, month: int) -> Document | None:
    """Last month's receipt for one member, made once (the ``document_monthly_once``
    constraint): a second beat run or a replayed task finds it and does nothing. A member
    with no card payment that month gets nothing (no number, no e-mail)."""
    from accounts.models import Member

    member = Member.objects.filter(pk=member_id, email_monthly_statement=True, is_active=True).first()
    if member is None:
        return None
    start = date(year, month, 1)
    end = month_last_day(year, month)
    try:
        with transaction.atomic():
            content = documents.period_receipt(member, start=start, end=end)
            if content.is_empty:
                return None
            return document_create(member=member, kind=DocumentKind.RECEIPT, content=content, total=content.total,
                           language=mail.member_language(member), origin=DocumentOrigin.MONTHLY,
                           period_start=start, period_end=end).document
    except IntegrityError:
        if Document.objects.filter(member=member, origin=DocumentOrigin.MONTHLY, period_start=start,
                                   period_end=end).exists():
            return None  # made already
        raise
