"""State changes for cards."""

from __future__ import annotations

import logging
from datetime import date

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.links import portal_url
from accounts.services import audit_record
from cards import partitions, passes, selectors
from cards.exceptions import CardNotFound, NoCardToSuspend
from cards.models import Card, CardStatus, CommuterPass, Device
from cards.nicknames import nickname_clean
from cards.window import japan_today

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
    updated = Card.objects.filter(pk=card.pk, member=member).update(nickname=name, updated_at=timezone.now())
    if not updated:
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
            _(
                "%(device)sには利用を停止できるICOCAがありません。"
                "すでに再発行登録が済んでいるか、払いもどし済みです。"
            )
            % {"device": Device(device).label}
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
    logger.info(
        "lost device reported: cards suspended",
        extra={"member": member.pk, "device": device, "cards": len(cards), "by_staff": bool(actor and actor.is_staff)},
    )
    return cards


def _email_language(member) -> str:
    return "en" if member.language == "en" else "ja"


def _pass_reminder_message(commuter_pass: CommuterPass, today: date) -> EmailMessage:
    card = commuter_pass.card
    member = card.member
    language = _email_language(member)
    context = {
        "member": member,
        "card": card,
        "commuter_pass": commuter_pass,
        "days_left": passes.days_left(commuter_pass.valid_until, today),
        "site_name": "ICOCA会員メニュー" if language == "ja" else "ICOCA Member Menu",
        "card_url": portal_url("cards:card-detail", card.public_id),
        "settings_url": portal_url("accounts:settings"),
    }
    with translation.override(language):
        subject = render_to_string(f"email/pass_reminder_subject.{language}.txt", context)
        body = render_to_string(f"email/pass_reminder.{language}.txt", context)
    return EmailMessage(
        subject=" ".join(subject.split()), body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[member.email]
    )


def pass_reminder_send(*, commuter_pass_id: int, today: date | None = None) -> bool:
    """E-mail the expiry reminder of one commuter pass, once.

    The pass is claimed first with one conditional UPDATE (``reminder_sent_at``
    from NULL to now), committed on its own, so a second beat run or a
    replayed task finds it taken and sends nothing. If sending fails the claim
    is given back and the error raised, for the task to retry. Returns whether
    an e-mail was sent."""
    today = today or japan_today()
    if not selectors.pass_reminder_is_due(commuter_pass_id=commuter_pass_id, today=today):
        return False  # sent already, renewed, turned off, or no longer due
    claimed_at = timezone.now()
    claimed = CommuterPass.objects.filter(pk=commuter_pass_id, reminder_sent_at__isnull=True).update(
        reminder_sent_at=claimed_at
    )
    if not claimed:
        return False  # another worker took it
    commuter_pass = CommuterPass.objects.select_related("card__member").get(pk=commuter_pass_id)
    try:
        _pass_reminder_message(commuter_pass, today).send()
    except Exception:
        CommuterPass.objects.filter(pk=commuter_pass_id, reminder_sent_at=claimed_at).update(reminder_sent_at=None)
        raise
    logger.info("pass reminder sent", extra={"commuter_pass": commuter_pass_id, "member": commuter_pass.card.member_id})
    return True
