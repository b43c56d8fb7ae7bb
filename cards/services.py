"""State changes for cards."""

from __future__ import annotations

import logging
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.exceptions import lazy_message
from accounts.links import portal_url
from accounts.services import audit_record, security_notice_queue
from cards import partitions, passes, selectors
from cards.exceptions import CardClosed, CardNotFound, NoCardToSuspend
from cards.models import Card, CardStatus, CommuterPass, Device
from cards.nicknames import nickname_clean
from cards.window import japan_today
from portal import mail

logger = logging.getLogger(__name__)


def usage_partitions_upkeep(*, ahead: int) -> list[str]:
    """Make sure this month and the next ``ahead`` months have partitions."""
    today = japan_today()
    return partitions.ensure_usage_partitions(first=today, last=partitions.add_months(today, ahead))


@transaction.atomic
def card_rename(*, member, card: Card, nickname: str) -> Card:
    """Give ``card`` a new name (cards/nicknames.py has the rule). Only the
    name changes; a name that breaks the rule raises ``InvalidNickname`` and
    nothing is stored."""
    name = nickname_clean(nickname)
    updated = (
        Card.objects.filter(pk=card.pk, member=member)
        .exclude(status=CardStatus.REFUNDED)
        .update(nickname=name, updated_at=timezone.now())
    )
    if not updated:
        if Card.objects.filter(pk=card.pk, member=member, status=CardStatus.REFUNDED).exists():
            raise CardClosed(_("払いもどし済みのICOCAの名前は変更できません。"))
        raise CardNotFound(_("このICOCAは見つかりませんでした。"))
    card.nickname = name
    return card


@transaction.atomic
def lost_device_report(*, member, device: str, actor=None, reason: str = "") -> list[Card]:
    """紛失・故障の再発行登録: stop every active or deposited card of
    ``member`` on ``device`` at once, and record who asked.

    ``actor`` is who reported it: the member from the portal, a support-center
    account on the member's behalf (with ``reason``). The replacement card
    arrives later through the feed (``replaces``). Raises ``NoCardToSuspend``
    when nothing on that device can be stopped."""
    if device not in Device.values:
        raise NoCardToSuspend(_("端末を選んでください。"))
    cards = list(
        Card.objects.select_for_update()
        .filter(member=member, device=device, status__in=selectors.SUSPENDABLE_STATUSES)
        .order_by("issued_at", "id")
    )
    if not cards:
        raise NoCardToSuspend(
            lazy_message(
                _(
                    "%(device)sには利用を停止できるICOCAがありません。"
                    "すでに再発行登録が済んでいるか、払いもどし済みです。"
                ),
                {"device": Device(device).label},
            )
        )
    now = timezone.now()
    previous = {card.pk: card.status for card in cards}
    Card.objects.filter(pk__in=previous, status__in=selectors.SUSPENDABLE_STATUSES).update(
        status=CardStatus.SUSPENDED, suspended_at=now, updated_at=now
    )
    for card in cards:
        card.status, card.suspended_at = CardStatus.SUSPENDED, now
    audit_record(
        actor=actor,
        member=member,
        action="card.lost_device_report",
        detail={
            "device": device,
            "cards": [
                {"public_id": str(card.public_id), "last4": card.icoca_number[-4:], "previous_status": previous[card.pk]}
                for card in cards
            ],
        },
        reason=reason,
    )
    security_notice_queue(
        member=member,
        kind="lost_device",
        detail={
            "device": device,
            "cards": [{"nickname": card.nickname, "last4": card.icoca_number[-4:]} for card in cards],
            "by_support": bool(actor and actor.is_staff),
        },
    )
    logger.info(
        "lost device reported: cards suspended",
        extra={"member": member.pk, "device": device, "cards": len(cards), "by_staff": bool(actor and actor.is_staff)},
    )
    return cards


def pass_reminder_send(*, commuter_pass_id: int, today: date | None = None) -> bool:
    """E-mail the expiry reminder of one commuter pass, once (``portal.mail``:
    the pass is claimed by setting ``reminder_sent_at``; a failed send gives
    the claim back and raises, for the task to retry). Returns whether an
    e-mail was sent: ``False`` when sent already, renewed, turned off, or no
    longer due."""
    today = today or japan_today()
    due = selectors.pass_reminder_due(commuter_pass_id=commuter_pass_id, today=today)

    def send() -> None:
        commuter_pass = CommuterPass.objects.select_related("card__member").get(pk=commuter_pass_id)
        card = commuter_pass.card
        mail.member_email_send(
            member=card.member,
            template="pass_reminder",
            context={
                "card": card,
                "commuter_pass": commuter_pass,
                "days_left": passes.days_left(commuter_pass.valid_until, today),
                "card_url": portal_url("cards:card-detail", card.public_id),
            },
        )
        logger.info("pass reminder sent", extra={"commuter_pass": commuter_pass_id, "member": card.member_id})

    return mail.send_once(due, "reminder_sent_at", send)
