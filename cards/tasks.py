"""Celery tasks of the cards app: take ids, call one service."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from cards import services


@shared_task(time_limit=600, soft_time_limit=540)
def usage_partitions_upkeep() -> list[str]:
    return services.usage_partitions_upkeep(ahead=settings.USAGE_PARTITIONS_AHEAD_MONTHS)
