"""Reads of payment methods that views, tasks and services share, always
scoped to the member who asks."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet

from billing.payment_methods import payment_cards
from billing.payment_methods.models import ExpiryReminder, PaymentMethod, PaymentRegistration

REMINDER_DAYS_BEFORE = 30


def payment_method_list(*, member) -> QuerySet[PaymentMethod]:
    """The member's payment methods in use: the default first, then the newest."""
    return PaymentMethod.objects.filter(member=member, removed_at__isnull=True).order_by(
        "-is_default", "-created_at", "-id"
    )


def payment_method_get(*, member, public_id: uuid.UUID) -> PaymentMethod | None:
    return payment_method_list(member=member).filter(public_id=public_id).first()


def payment_registration_get(*, member, public_id: uuid.UUID) -> PaymentRegistration | None:
    return (
        PaymentRegistration.objects.filter(member=member, public_id=public_id)
        .select_related("member", "payment_method")
        .first()
    )


def _expiry_months_within(today: date, days: int) -> list[tuple[int, int]]:
    """The (year, month) pairs whose last day falls in [today, today + days]."""
    months: list[tuple[int, int]] = []
    year, month = today.year, today.month
    while True:
        last_day = payment_cards.expires_on(month, year)
        if last_day > today + timedelta(days=days):
            return months
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def payment_methods_due_for_expiry_reminder(*, today: date, days: int = REMINDER_DAYS_BEFORE) -> QuerySet[PaymentMethod]:
    """Payment methods in use that expire within ``days`` days (and not
    before today) and whose reminder for that expiry has not been sent."""
    months = _expiry_months_within(today, days)
    if not months:
        return PaymentMethod.objects.none()
    in_window = Q()
    for year, month in months:
        in_window |= Q(exp_year=year, exp_month=month)
    sent = ExpiryReminder.objects.filter(
        payment_method=OuterRef("pk"),
        sent_at__isnull=False,
        expires_on__in=[payment_cards.expires_on(month, year) for year, month in months],
    )
    return (
        PaymentMethod.objects.filter(in_window, removed_at__isnull=True, member__is_active=True)
        .exclude(member__email="")
        .filter(~Exists(sent))
        .select_related("member")
        .order_by("pk")
    )
