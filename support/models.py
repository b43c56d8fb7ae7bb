"""No tables of its own: the support center's permissions hang on an
unmanaged model (Django needs a content type for them)."""

from django.db import models


class SupportAccess(models.Model):
    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("act_for_member", "会員に代わって操作する"),
            ("view_full_icoca_number", "ICOCA番号をすべて見る"),
            ("view_staff_audit", "スタッフの操作記録を見る"),
            ("browse_member_data", "全会員の書類・決済用カード・利用・ポイントの一覧を見る"),
        ]

    def __str__(self) -> str:
        return "support access"
