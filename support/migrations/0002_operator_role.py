"""The operator role (``support_operator``: the unfiltered lists of member
data), and on PostgreSQL the indexes for reads by one staff account over a
period (the supervisor's 「閲覧の記録」) and for the romaji search.

Indexes (built CONCURRENTLY: the tables are big and in use):
- ``audit_actor_at``   btree on ``accounts_auditevent (actor_id, at DESC)``.
- ``member_last_name_upper`` / ``member_first_name_upper``: btree pattern ops on
  ``upper(last_name)`` / ``upper(first_name)``: romaji search (HANAKO, Yamada,
  YAMADA HANAKO, a prefix such as YAMA; WESTER ID gives the romaji names).
"""

from django.db import migrations

INDEXES = (
    ("audit_actor_at", "accounts_auditevent (actor_id, at DESC)"),
    ("member_last_name_upper", "accounts_member (upper(last_name) text_pattern_ops)"),
    ("member_first_name_upper", "accounts_member (upper(first_name) text_pattern_ops)"),
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
    from support.roles import groups_sync

    groups_sync(apps)


def groups_drop(apps, schema_editor):
    from support.roles import OPERATOR

    apps.get_model("auth", "Group").objects.filter(name=OPERATOR).delete()


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY

    dependencies = [
        ("support", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="supportaccess",
            options={
                "managed": False,
                "default_permissions": (),
                "permissions": [
                    ("act_for_member", "会員に代わって操作する"),
                    ("view_full_icoca_number", "ICOCA番号をすべて見る"),
                    ("view_staff_audit", "スタッフの操作記録を見る"),
                    ("browse_member_data", "全会員の書類・決済用カード・利用・ポイントの一覧を見る"),
                ],
            },
        ),
        migrations.RunPython(indexes_create, indexes_drop),
        migrations.RunPython(groups_create, groups_drop),
    ]
