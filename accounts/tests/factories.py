import factory

from accounts.models import Member


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"member-{n:08d}")
    wester_id = factory.Sequence(lambda n: f"sub-{n:08d}")
    name = "山田 花子"
    email = factory.Sequence(lambda n: f"member{n}@example.jp")
    password = factory.PostGenerationMethodCall("set_unusable_password")


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"agent{n}")
    wester_id = None
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()
