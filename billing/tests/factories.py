import factory

from accounts.tests.factories import MemberFactory
from billing.models import Brand, Funding, PaymentMethod


class PaymentMethodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaymentMethod

    member = factory.SubFactory(MemberFactory, first_name="HANAKO", last_name="YAMADA")
    provider = "sandbox"
    token = factory.Sequence(lambda n: f"tok_sandbox_test{n:06d}")
    brand = Brand.VISA
    last4 = "0100"
    exp_month = 12
    exp_year = 2030
    funding = Funding.CREDIT
    holder_name = "HANAKO YAMADA"
    is_default = False
