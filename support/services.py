"""What support staff do on a member's behalf. Each action asks for a
reason and writes one audit entry (who, which member, what, the reason);
the lost-device report goes through the same service the member uses.

"Unlock a member": WESTER ID members have no password here, so there is no
failed-password lock to clear (allauth's login rate limits only count staff
password sign-ins). A member is locked out of the portal when their account
is deactivated (``is_active`` off: by an operator after a fraud report or
misuse); unlocking turns it back on, with the reason recorded.
"""

from __future__ import annotations

import logging

from allauth.usersessions.adapter import get_adapter as usersessions_adapter
from allauth.usersessions.models import UserSession
from django.db import transaction

from accounts.models import Member
from accounts.services import audit_record, security_notice_queue
from billing.documents.emailing import document_email_resend
from billing.documents.services import document_retry
from billing.models import Document, DocumentStatus
from cards.services import lost_device_report
from support.exceptions import SupportActionRefused

logger = logging.getLogger(__name__)

REASON_MAX = 1000


def _reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise SupportActionRefused("理由を入力してください。")
    if len(reason) > REASON_MAX:
        raise SupportActionRefused(f"理由は{REASON_MAX}文字以内で入力してください。")
    return reason


MEMBER_VIEW = "support.member_view"


def member_view_record(
    *, staff: Member, member: Member, what: str = "member_page", reason: str = "", **detail: object
) -> None:
    """A staff member looked at a member's data: the member page (each view,
    each usage page), a list within the member, a document, a PDF... One INSERT."""
    audit_record(
        actor=staff, member=member, action=MEMBER_VIEW, detail={"page": what, **detail}, reason=reason[:REASON_MAX]
    )


def member_reads_record(*, staff: Member, member_ids, what: str, **detail: object) -> int:
    """A staff member saw several members' data on one screen (search results,
    an operator's unfiltered list): one entry per member, in one INSERT."""
    from django.utils import timezone

    from accounts.models import AuditEvent

    ids = list(dict.fromkeys(pk for pk in member_ids if pk is not None))
    if not ids:
        return 0
    now = timezone.now()
    entry = {"page": what, **detail}
    AuditEvent.objects.bulk_create(
        [AuditEvent(actor=staff, member_id=pk, action=MEMBER_VIEW, detail=entry, at=now) for pk in ids]
    )
    return len(ids)


@transaction.atomic
def support_lost_device_report(*, staff: Member, member: Member, device: str, reason: str):
    """紛失・故障の再発行登録 on the member's behalf (the member's own service;
    it writes the audit entry with the staff account and the reason)."""
    return lost_device_report(member=member, device=device, actor=staff, reason=_reason(reason))


def _member_document(member: Member, document_id) -> Document:
    document = Document.objects.select_related("member").filter(public_id=document_id, member=member).first()
    if document is None:
        raise SupportActionRefused("この会員の書類ではありません。")
    return document


def support_document_resend(*, staff: Member, member: Member, document_id, reason: str) -> Document:
    """Send a document to the member's e-mail address again, through the mail
    queue and its retries (billing's ``document_email_resend``): an e-mail that
    failed is tried again, one already sent (or a reprint) goes once more."""
    reason = _reason(reason)
    document = _member_document(member, document_id)
    if document.status != DocumentStatus.READY:
        raise SupportActionRefused("作成が済んでいない書類は送れません。")
    if not member.email:
        raise SupportActionRefused("この会員にはメールアドレスがありません。")
    if document.emailed_at is None and document.email_failed_reason:
        how = "retry"
    elif document.emailed_at is None and not document.is_reprint:
        raise SupportActionRefused("この書類のメールはまだ送信中です。しばらくしてから確認してください。")
    else:
        how = "sent_again"
    with transaction.atomic():
        document = document_email_resend(member=member, document=document)
        audit_record(
            actor=staff, member=member, action="support.document_resend",
            detail={"document": str(document.public_id), "document_number": document.number, "how": how},
            reason=reason,
        )
    logger.info("document e-mail queued again by support", extra={"document": document.pk, "how": how})
    return document


def support_document_rerun(*, staff: Member, member: Member, document_id, reason: str) -> Document:
    """Make a document that failed again (billing's ``document_retry``)."""
    reason = _reason(reason)
    document = _member_document(member, document_id)
    if document.status != DocumentStatus.FAILED:
        raise SupportActionRefused("作成に失敗した書類だけを作り直せます。")
    with transaction.atomic():
        audit_record(
            actor=staff, member=member, action="support.document_rerun",
            detail={"document": str(document.public_id), "document_number": document.number,
                    "failure_reason": document.failure_reason[:200]},
            reason=reason,
        )
        document = document_retry(member=member, document=document).document
    return document


@transaction.atomic
def support_sessions_end(*, staff: Member, member: Member, reason: str) -> int:
    """Sign the member out everywhere: every session of theirs ends."""
    reason = _reason(reason)
    sessions = list(UserSession.objects.filter(user=member))
    usersessions_adapter().end_sessions(sessions)
    audit_record(actor=staff, member=member, action="support.sessions_end", detail={"sessions": len(sessions)}, reason=reason)
    security_notice_queue(member=member, kind="sessions_ended", detail={"sessions": len(sessions), "by_support": True})
    return len(sessions)


@transaction.atomic
def support_member_unlock(*, staff: Member, member: Member, reason: str) -> Member:
    """Let a deactivated member sign in again (see the module's docstring)."""
    reason = _reason(reason)
    locked = Member.objects.select_for_update().get(pk=member.pk)
    if locked.is_active:
        raise SupportActionRefused("この会員はロックされていません。")
    locked.is_active = True
    locked.save(update_fields=["is_active"])
    audit_record(actor=staff, member=locked, action="support.member_unlock", detail={"was_active": False}, reason=reason)
    return locked
