"""The document rule: how many documents (receipts, refund statements) a member's own
requests may have made. Each new one costs a worker up to ~20 s of WeasyPrint.

- at most 10 new requests an hour and 30 a day (rolling: the last 60 minutes, the last
  24 hours), each counted once it is stored;
- at most 3 of the member's documents being made (``pending`` or ``rendering``) at once.

Asking again for a document that exists costs nothing: the services return it before they
get here. Monthly statements (beat), reprints, retries of a failed document and everything
support staff do are not new requests and are not counted by the hour or the day.

Counted in the database, not the cache: the member's own ``Document`` rows are the truth,
the count is exact (the member's row is locked, so parallel requests count one after
another), "when can I ask again" is the time the oldest counted request leaves its window,
and the rule holds while Redis is out. The index ``document_member_requested`` serves it.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.limits import LimitReached, reached

TOO_MANY = _("書類の作成のお申し込みは1時間に%(hour)s件、1日に%(day)s件までです。"
             "%(time)s以降にもう一度お申し込みください。")
IN_PROGRESS = _("作成中の書類が%(count)s件あります。できあがってから、もう一度お申し込みください。")
IN_PROGRESS_RETRY_SECONDS = 60


def document_request_check(member, *, now=None) -> None:
    """Called inside the transaction that would store a new requested document, before
    anything is stored: raises :class:`~portal.limits.LimitReached` over a limit (the
    transaction rolls back, nothing is queued)."""
    from billing.models import Document, DocumentOrigin, DocumentStatus

    now = now or timezone.now()
    limits = settings.PORTAL_LIMITS
    list(get_user_model().objects.select_for_update().filter(pk=member.pk).values_list("pk", flat=True))

    at_once = limits["documents_in_progress"]
    in_progress = Document.objects.filter(
        member=member, status__in=(DocumentStatus.PENDING, DocumentStatus.RENDERING)
    ).count()
    if in_progress >= at_once:
        raise LimitReached(str(IN_PROGRESS) % {"count": in_progress}, retry_after=IN_PROGRESS_RETRY_SECONDS)

    windows = [limits["document_requests_hour"], limits["document_requests_day"]]
    longest = max(seconds for _amount, seconds in windows)
    most = max(amount for amount, _seconds in windows)
    recent = list(
        Document.objects.filter(
            member=member, origin=DocumentOrigin.REQUEST, reissue_of__isnull=True,
            requested_at__gt=now - timedelta(seconds=longest),
        ).order_by("-requested_at").values_list("requested_at", flat=True)[:most]
    )
    retry_at = None
    for amount, seconds in windows:
        window = timedelta(seconds=seconds)
        counted = [at for at in recent if at > now - window]
        if len(counted) >= amount:  # free again when the amount-th newest leaves the window
            free_at = counted[amount - 1] + window
            retry_at = max(retry_at, free_at) if retry_at else free_at
    if retry_at is not None:
        raise reached(TOO_MANY, retry_at, hour=windows[0][0], day=windows[1][0])
