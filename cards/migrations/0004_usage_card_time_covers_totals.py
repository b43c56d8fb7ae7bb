# The history index carries each line's amount and kind (INCLUDE), so that the month totals
# of a history page are an index-only scan instead of a heap fetch per line: on the
# benchmark's 10,000,000 rows a month of the heavy member's went from 1,633 buffers and
# 5.7 ms to 19 buffers and 0.2 ms (docs/performance.md, issue 16).
#
# On PostgreSQL the index is rebuilt on every monthly partition, holding a lock that blocks
# writes to the usage table meanwhile (the feed import waits). On a large table build it
# ahead of the release, partition by partition without blocking (docs/operations.md).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("cards", "0003_feed_write_costs"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="usagerecord", name="usage_card_time"),
        migrations.AddIndex(
            model_name="usagerecord",
            index=models.Index(
                fields=["card", "-occurred_at", "-id"], include=["amount", "kind"], name="usage_card_time"
            ),
        ),
    ]
