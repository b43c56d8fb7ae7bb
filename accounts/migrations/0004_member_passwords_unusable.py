"""Every member's password becomes unusable: WESTER ID is their only way in.

Before this, allauth's password reset and set pages let a member (or whoever
held their mailbox or a session) give the account a password. Members who
never had one already hold an unusable value (``!`` and a random string), so
only the few rows that do not are rewritten, each with its own random value
as Django's ``set_unusable_password`` makes it.
"""

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, make_password
from django.db import migrations


def make_member_passwords_unusable(apps, schema_editor):
    Member = apps.get_model("accounts", "Member")
    usable = (
        Member.objects.filter(wester_id__isnull=False)
        .exclude(password__startswith=UNUSABLE_PASSWORD_PREFIX)
        .values_list("pk", flat=True)
    )
    for pk in list(usable.iterator()):
        Member.objects.filter(pk=pk).update(password=make_password(None))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_audit_event")]

    operations = [migrations.RunPython(make_member_passwords_unusable, migrations.RunPython.noop)]
