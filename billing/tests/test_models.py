"""The database refuses what the rules forbid, whatever the code does."""

import pytest
from django.db import DataError, IntegrityError, transaction
from django.utils import timezone

from billing.tests.factories import PaymentMethodFactory

pytestmark = pytest.mark.django_db


def test_one_default_per_member_among_methods_in_use():
    first = PaymentMethodFactory(is_default=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentMethodFactory(member=first.member, is_default=True)
    PaymentMethodFactory(is_default=True)  # another member's default is fine


def test_a_removed_method_is_never_the_default():
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentMethodFactory(is_default=True, removed_at=timezone.now())


@pytest.mark.parametrize("last4", ["123", "12345", "12a4", "４２４２"])
def test_last4_is_four_digits(last4):
    # PostgreSQL refuses a fifth character before the check constraint does.
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        PaymentMethodFactory(last4=last4)


def test_an_expiry_month_outside_1_to_12_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentMethodFactory(exp_month=13)


def test_a_token_is_in_use_once_per_provider():
    first = PaymentMethodFactory(token="tok_1")
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentMethodFactory(token="tok_1")
    first.removed_at = timezone.now()
    first.save()
    PaymentMethodFactory(token="tok_1")


def test_the_label_names_the_brand_and_last_four():
    assert str(PaymentMethodFactory(brand="AMEX", last4="0005")) == "American Express ••••0005"
