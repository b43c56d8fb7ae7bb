"""The support center: its permissions, the two roles, and the indexes
member search needs on PostgreSQL (SQLite keeps plain scans: a laptop's
demo data is small).

Indexes (built CONCURRENTLY: the tables are big and in use):
- ``member_name_trgm``  GIN trigram on ``name``: partial name search (3+ characters)
  and whole-word search (``<<%``: a 1–2 character family or given name).
- ``member_name_prefix`` btree pattern ops on ``name``: 1–2 character prefixes.
- ``member_email_trgm`` GIN trigram on ``upper(email)``: partial e-mail search.
- ``card_icoca_tail``   btree pattern ops on ``reverse(icoca_number)``: the last
  4–6 characters as a prefix of the reversed number.
"""

from django.db import migrations, models

INDEXES = (
    ("member_name_trgm", "accounts_member USING gin (name gin_trgm_ops)"),
    ("member_name_prefix", "accounts_member (name varchar_pattern_ops)"),
    ("member_email_trgm", "accounts_member USING gin (upper(email) gin_trgm_ops)"),
    ("card_icoca_tail", "cards_card (reverse(icoca_number) text_pattern_ops)"),
)


def indexes_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, target in INDEXES:
        schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {target}")


def indexes_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _target in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


def groups_create(apps, schema_editor):
    from support.roles import AGENT, AGENT_PERMISSIONS, SUPERVISOR, SUPERVISOR_PERMISSIONS, groups_sync

    groups_sync(apps, {AGENT: AGENT_PERMISSIONS, SUPERVISOR: SUPERVISOR_PERMISSIONS})  # 0002 adds the operator


def groups_drop(apps, schema_editor):
    from support.roles import AGENT, SUPERVISOR

    apps.get_model("auth", "Group").objects.filter(name__in=(AGENT, SUPERVISOR)).delete()


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("accounts", "0003_audit_event"),
        ("cards", "0001_initial"),
        ("billing", "0002_documents"),
        ("usersessions", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="SupportAccess",
            fields=[("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID"))],
            options={
                "managed": False,
                "default_permissions": (),
                "permissions": [
                    ("act_for_member", "会員に代わって操作する"),
                    ("view_full_icoca_number", "ICOCA番号をすべて見る"),
                    ("view_staff_audit", "スタッフの操作記録を見る"),
                ],
            },
        ),
        migrations.RunPython(indexes_create, indexes_drop),
        migrations.RunPython(groups_create, groups_drop),
    ]
