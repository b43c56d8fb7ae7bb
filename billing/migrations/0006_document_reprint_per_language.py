"""A reprint per language: an original may have one reprint in Japanese and one in English
(same number, same figures, same first issue date), so ``reissue_of`` is no longer one to
one; ``document_reprint_per_language`` keeps it to one per language. Existing reprints (one
per original) already hold it. The language gets its choices (no change in the database)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0005_document_usage_history'),
        ('cards', '0003_feed_write_costs'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='document',
            name='language',
            field=models.CharField(choices=[('ja', '日本語'), ('en', '英語')], max_length=2, verbose_name='言語'),
        ),
        migrations.AlterField(
            model_name='document',
            name='reissue_of',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='reprints', to='billing.document', verbose_name='再発行元'),
        ),
        migrations.AddConstraint(
            model_name='document',
            constraint=models.UniqueConstraint(condition=models.Q(('reissue_of__isnull', False)), fields=('reissue_of', 'language'), name='document_reprint_per_language'),
        ),
    ]
