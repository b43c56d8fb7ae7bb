import factory

from accounts.models import Member


class _SavedAfterPasswordFactory(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True
        skip_postgeneration_save = True

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:  # the password is set after the first save
            instance.save()


class MemberFactory(_SavedAfterPasswordFactory):
    class Meta:
        model = Member

    username = factory.Sequence(lambda n: f"member-{n:08d}")
    wester_id = factory.Sequence(lambda n: f"sub-{n:08d}")
    name = "山田 花子"
    email = factory.Sequence(lambda n: f"member{n}@example.jp")
    password = factory.PostGenerationMethodCall("set_unusable_password")


class StaffFactory(_SavedAfterPasswordFactory):
    class Meta:
        model = Member

    username = factory.Sequence(lambda n: f"agent{n}")
    wester_id = None
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple")
