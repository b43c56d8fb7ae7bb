"""A refund factory for the history tests (the shared cards/tests/factories.py
has none yet)."""

from __future__ import annotations

import hashlib

import factory
from django.utils import timezone

from cards.models import DestinationMethod, Refund
from cards.tests.factories import CardFactory


class RefundFactory(factory.django.DjangoModelFactory):
    """A balance-only refund of ¥3,200 less the ¥220 fee, paid to a VISA card."""

    class Meta:
        model = Refund

    center_id = factory.Sequence(lambda n: f"R-TEST-{n:010d}")
    card = factory.SubFactory(CardFactory)
    refunded_at = factory.LazyFunction(timezone.now)
    balance = 3200
    fee = 220
    total = factory.LazyAttribute(lambda o: max(o.balance + o.pass_part - o.fee, 0))
    pass_part = 0
    destination_method = DestinationMethod.CARD
    destination_brand = "VISA"
    destination_last4 = "4242"
    digest = factory.Sequence(lambda n: hashlib.sha256(f"refund-{n}".encode()).hexdigest())
