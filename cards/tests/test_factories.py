"""The shared factories build valid rows (the model's constraints hold)."""

import pytest

from cards.tests.factories import CardFactory, CommuterPassFactory, PointsEntryFactory, UsageRecordFactory

pytestmark = pytest.mark.django_db


def test_factories_build_valid_rows():
    card = CardFactory(suspended=True)
    commuter_pass = CommuterPassFactory(card=card, months=1)
    usage = UsageRecordFactory(card=card)
    points = PointsEntryFactory(member=card.member)
    card.full_clean()
    commuter_pass.full_clean()
    assert commuter_pass.valid_from < commuter_pass.valid_until
    assert usage.card.member == points.member
    assert card.suspended_at is not None
