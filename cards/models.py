"""What the card center tells us: cards, commuter passes, usage, refunds and
points (FEED.md), plus the record of each feed import.

The center is the authority for money on a card: nothing here changes a
balance. The member owns the nickname. Financial rows (refunds) are never
changed after import.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.fields import ShownDateTimeField
from portal.money import yen


class Device(models.TextChoices):
    ANDROID = "android", "Android"
    IPHONE = "iphone", "iPhone"
    APPLE_WATCH = "apple_watch", "Apple Watch"


class CardStatus(models.TextChoices):
    ACTIVE = "active", _("利用中")
    DEPOSITED = "deposited", _("預け入れ中")
    SUSPENDED = "suspended", _("再発行手続き中")
    REISSUED = "reissued", _("再発行済み")
    REFUNDED = "refunded", _("払いもどし済み")


class PassKind(models.TextChoices):
    COMMUTER = "commuter", _("通勤")
    STUDENT = "student", _("通学")


class PaymentMethodKind(models.TextChoices):
    CARD = "card", _("カード")
    CASH = "cash", _("現金")
    POINTS = "points", _("ポイント")


class Brand(models.TextChoices):
    JCB = "JCB", "JCB"
    VISA = "VISA", "VISA"
    MASTERCARD = "MASTERCARD", "Mastercard"
    AMEX = "AMEX", "American Express"


class UsageKind(models.TextChoices):
    RIDE = "ride", _("乗車")
    BUS = "bus", _("バス")
    PURCHASE = "purchase", _("買い物")
    CHARGE = "charge", _("チャージ")
    POINT_CHARGE = "point_charge", _("ポイントチャージ")
    ADJUSTMENT = "adjustment", _("調整")


class DestinationMethod(models.TextChoices):
    CARD = "card", _("カード")
    BANK = "bank", _("銀行口座")


class PointsKind(models.TextChoices):
    EARN = "earn", _("獲得")
    CHARGE = "charge", _("チャージに利用")
    EXPIRE = "expire", _("失効")
    ADJUST = "adjust", _("調整")


class PointsCategory(models.TextChoices):
    """What a points line was for: the card center's ``category`` (free text in the
    feed); these are the ones it sends today. A member never sees the code."""

    RIDE_COUNT = "ride_count", _("乗車ポイント")
    EXPIRY = "expiry", _("有効期限切れ")
    ICOCA_CHARGE = "icoca_charge", _("ICOCAへのチャージ")
    JWEST_CARD = "jwest_card", _("J-WESTカードでのお支払い")
    PASS_PAYMENT = "pass_payment", _("定期券のご購入")
    CAMPAIGN = "campaign", _("キャンペーン")


class Card(models.Model):
    """A mobile ICOCA card. Addressed in URLs by ``public_id``, never by its
    number."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    icoca_number = models.CharField(_("ICOCA番号"), max_length=17, unique=True)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cards", verbose_name=_("会員")
    )
    nickname = models.CharField(_("ICOCAの名前"), max_length=20, blank=True)
    device = models.CharField(_("端末"), max_length=16, choices=Device.choices)
    status = models.CharField(_("状態"), max_length=16, choices=CardStatus.choices)
    issued_at = ShownDateTimeField(_("発行日時"))
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by",
        verbose_name=_("再発行前のカード"),
    )
    # The latest stored value the center reported (from the newest usage record).
    balance = models.IntegerField(_("残額"), null=True, blank=True)
    balance_at = ShownDateTimeField(_("残額の時点"), null=True, blank=True)
    suspended_at = ShownDateTimeField(_("利用停止日時"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("ICOCA")
        verbose_name_plural = _("ICOCA")
        ordering = ["issued_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(icoca_number__regex=r"^JW[0-9A-Z]{15}$"), name="card_icoca_number_format"
            ),
            models.CheckConstraint(
                condition=Q(balance__isnull=True) | Q(balance__gte=0, balance__lte=20000), name="card_balance_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.nickname or 'ICOCA'} ({self.masked_number})"

    @property
    def masked_number(self) -> str:
        from cards.masking import mask_icoca_number

        return mask_icoca_number(self.icoca_number)


class CommuterPass(models.Model):
    """A commuter pass bought or renewed (feed type ``pass``)."""

    center_id = models.CharField(max_length=64, unique=True)
    card = models.ForeignKey(Card, on_delete=models.PROTECT, related_name="commuter_passes")
    kind = models.CharField(_("種類"), max_length=16, choices=PassKind.choices)
    from_station = models.CharField(_("区間（から）"), max_length=100)
    to_station = models.CharField(_("区間（まで）"), max_length=100)
    via = models.CharField(_("経由"), max_length=200, blank=True)
    valid_from = models.DateField(_("開始日"))
    valid_until = models.DateField(_("終了日"))
    months = models.PositiveSmallIntegerField(_("期間（か月）"))
    price = models.PositiveIntegerField(_("発売額"))
    fare_1_month = models.PositiveIntegerField()
    fare_3_months = models.PositiveIntegerField()
    fare_6_months = models.PositiveIntegerField()
    paid_at = ShownDateTimeField(_("購入日時"))
    payment_method = models.CharField(max_length=8, choices=PaymentMethodKind.choices)
    payment_brand = models.CharField(max_length=16, choices=Brand.choices, blank=True)
    payment_last4 = models.CharField(max_length=4, blank=True)
    digest = models.CharField(max_length=64)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("定期券")
        verbose_name_plural = _("定期券")
        indexes = [models.Index(fields=["card", "-valid_until"]), models.Index(fields=["valid_until"])]
        constraints = [
            models.CheckConstraint(condition=Q(months__in=(1, 3, 6)), name="pass_months"),
            models.CheckConstraint(condition=Q(valid_from__lte=models.F("valid_until")), name="pass_valid_range"),
        ]

    def __str__(self) -> str:
        return f"{self.from_station}⇔{self.to_station} {self.get_kind_display()} {self.months}"

    @property
    def fares(self) -> dict[int, int]:
        return {1: self.fare_1_month, 3: self.fare_3_months, 6: self.fare_6_months}


class UsageRecord(models.Model):
    """One line of the usage history. On PostgreSQL the table is partitioned
    by month on ``occurred_at`` (see cards/partitions.py), so the center's id
    is kept unique through ``UsageKey``."""

    center_id = models.CharField(max_length=64)
    # No database FK (the importer resolves every card before writing) and no
    # separate index: ``usage_card_time`` leads with the card.
    card = models.ForeignKey(
        Card, on_delete=models.PROTECT, related_name="usage_records", db_constraint=False, db_index=False
    )
    occurred_at = ShownDateTimeField(_("日時"))
    kind = models.CharField(_("種別"), max_length=16, choices=UsageKind.choices)
    amount = models.IntegerField(_("金額"))
    balance = models.IntegerField(_("残額"))
    from_station = models.CharField(max_length=100, blank=True)
    to_station = models.CharField(max_length=100, blank=True)
    operator = models.CharField(max_length=100, blank=True)
    merchant = models.CharField(max_length=200, blank=True)
    place = models.CharField(max_length=200, blank=True)
    note = models.CharField(max_length=200, blank=True)
    payment_method = models.CharField(max_length=8, choices=PaymentMethodKind.choices, blank=True)
    payment_brand = models.CharField(max_length=16, choices=Brand.choices, blank=True)
    payment_last4 = models.CharField(max_length=4, blank=True)

    class Meta:
        verbose_name = _("利用履歴")
        verbose_name_plural = _("利用履歴")
        # The history's index: a card's lines newest first (the keyset pages), carrying the
        # amount and kind so that a month's totals are read from the index alone (an
        # index-only scan on PostgreSQL; SQLite builds it without the carried columns).
        indexes = [
            models.Index(fields=["card", "-occurred_at", "-id"], include=["amount", "kind"], name="usage_card_time")
        ]

    def __str__(self) -> str:
        return f"{self.center_id} {self.kind} {self.amount}"


class UsageKey(models.Model):
    """The center's usage ids: unique across every monthly partition, with the
    digest of the record's content to tell a replay from a conflict."""

    center_id = models.CharField(max_length=64, primary_key=True)
    digest = models.CharField(max_length=64)

    def __str__(self) -> str:
        return self.center_id


class Refund(models.Model):
    """A 払いもどし as the center reported it, with the pass part the portal
    recomputed (cards/refunds.py). Never changed after import."""

    center_id = models.CharField(max_length=64, unique=True)
    card = models.ForeignKey(Card, on_delete=models.PROTECT, related_name="refunds")
    refunded_at = ShownDateTimeField(_("払いもどし日時"))
    balance = models.PositiveIntegerField(_("残額"))
    commuter_pass = models.ForeignKey(
        CommuterPass, null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    months_used = models.PositiveSmallIntegerField(default=0)
    fare_deducted = models.PositiveIntegerField(default=0)
    pass_part = models.PositiveIntegerField(default=0)
    fee = models.PositiveIntegerField(_("手数料"))
    total = models.PositiveIntegerField(_("払いもどし額"))
    destination_method = models.CharField(max_length=8, choices=DestinationMethod.choices)
    destination_brand = models.CharField(max_length=16, choices=Brand.choices, blank=True)
    destination_last4 = models.CharField(max_length=4, blank=True)
    digest = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("払いもどし")
        verbose_name_plural = _("払いもどし")
        indexes = [models.Index(fields=["card", "-refunded_at"])]

    def __str__(self) -> str:
        return f"{self.center_id} {yen(self.total)}"


class PointsEntry(models.Model):
    """A WESTER points ledger line."""

    center_id = models.CharField(max_length=64, unique=True)
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="points_entries")
    occurred_at = ShownDateTimeField(_("日時"))
    kind = models.CharField(_("種別"), max_length=8, choices=PointsKind.choices)
    points = models.IntegerField(_("ポイント"))
    category = models.CharField(max_length=100, blank=True)
    digest = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("WESTERポイント")
        verbose_name_plural = _("WESTERポイント")
        indexes = [models.Index(fields=["member", "-occurred_at"])]

    def __str__(self) -> str:
        return f"{self.center_id} {self.points:+d}"

    @property
    def category_label(self) -> str:
        """The category in the member's words: a known one by name, an unknown one as
        「その他」, none as nothing; never the center's code."""
        if not self.category:
            return ""
        if self.category in PointsCategory.values:
            return str(PointsCategory(self.category).label)
        return str(_("その他"))


class FeedImport(models.Model):
    """One file of one `import_feed` run, with its summary."""

    file_name = models.CharField(max_length=500)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    read = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    reject_file = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("フィード取り込み")
        verbose_name_plural = _("フィード取り込み")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.started_at:%Y-%m-%d %H:%M})"


class FeedReject(models.Model):
    """A rejected feed line and its reason, for the support center."""

    feed_import = models.ForeignKey(FeedImport, on_delete=models.CASCADE, related_name="rejects")
    line_number = models.PositiveIntegerField()
    record_type = models.CharField(max_length=16, blank=True)
    record_key = models.CharField(max_length=64, blank=True, db_index=True)
    reason = models.TextField()
    line = models.TextField(blank=True)

    class Meta:
        verbose_name = _("取り込めなかった行")
        verbose_name_plural = _("取り込めなかった行")
        ordering = ["feed_import", "line_number"]

    def __str__(self) -> str:
        return f"{self.feed_import_id}:{self.line_number} {self.reason[:60]}"
