"""Reads of cards that views, tasks and other apps share."""

from __future__ import annotations

from cards.models import Card, CardStatus


def member_has_active_card(member) -> bool:
    return Card.objects.filter(member=member, status=CardStatus.ACTIVE).exists()
