"""Payment methods (決済用カード) and the registrations that create them.

The portal never holds a card number or a security code: the member types them
into the payment provider's own pages, and the provider sends back a token,
the brand, the last four digits, the expiry and the funding type. ``token`` is
the provider's and is never shown or logged.
"""

from __future__ import annotations

import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from billing.payment_methods import payment_cards
from cards import models as cards_models

# The international brands a member may register (DOMAIN.md): the same four
# the card center's feed names.
Brand = cards_models.Brand


class Funding(models.TextChoices):
    CREDIT = "credit", _("クレジット")
    DEBIT = "debit", _("デビット")
    PREPAID = "prepaid", _("プリペイド")


class PaymentMethod(models.Model):
    """A payment card a member pays with. Removing one sets ``removed_at``:
    the row stays so old receipts still name it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payment_methods", verbose_name=_("会員")
    )
    provider = models.CharField(_("決済代行会社"), max_length=50)
    token = models.CharField(max_length=255, editable=False)
    brand = models.CharField(_("ブランド"), max_length=16, choices=Brand.choices)
    last4 = models.CharField(_("下4桁"), max_length=4)
    exp_month = models.PositiveSmallIntegerField(_("有効期限（月）"))
    exp_year = models.PositiveSmallIntegerField(_("有効期限（年）"))
    funding = models.CharField(_("種類"), max_length=8, choices=Funding.choices)
    holder_name = models.CharField(_("名義"), max_length=100)
    # The provider's card fingerprint (the same card number, the same value): one card is
    # registered once per member. Never the number, nor anything it can be read back from.
    fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    is_default = models.BooleanField(_("デフォルト"), default=False)
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)
    removed_at = models.DateTimeField(_("削除日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("決済用カード")
        verbose_name_plural = _("決済用カード")
        ordering = ["-is_default", "-created_at", "-id"]
        indexes = [models.Index(fields=["member", "removed_at"], name="payment_method_member")]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(is_default=True, removed_at__isnull=True),
                name="payment_method_one_default",
            ),
            models.CheckConstraint(
                condition=Q(removed_at__isnull=True) | Q(is_default=False), name="payment_method_removed_not_default"
            ),
            models.CheckConstraint(condition=Q(last4__regex=r"^[0-9]{4}$"), name="payment_method_last4_digits"),
            models.CheckConstraint(condition=Q(exp_month__gte=1, exp_month__lte=12), name="payment_method_exp_month"),
            models.CheckConstraint(
                condition=Q(exp_year__gte=2000, exp_year__lte=2100), name="payment_method_exp_year"
            ),
            models.UniqueConstraint(
                fields=["provider", "token"],
                condition=Q(removed_at__isnull=True),
                name="payment_method_token_once",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """``VISA ••••4242``"""
        return payment_cards.masked_label(self.get_brand_display(), self.last4)

    @property
    def expires_on(self) -> date:
        return payment_cards.expires_on(self.exp_month, self.exp_year)

    @property
    def expiry_display(self) -> str:
        return f"{self.exp_month:02d}/{self.exp_year}"

    def is_expired(self, today: date) -> bool:
        return payment_cards.is_expired(self.exp_month, self.exp_year, today=today)

    def expires_soon(self, today: date) -> bool:
        return payment_cards.expires_within(self.exp_month, self.exp_year, today=today)


class RegistrationStatus(models.TextChoices):
    STARTED = "started", _("手続き中")
    SUCCEEDED = "succeeded", _("登録済み")
    FAILED = "failed", _("登録できませんでした")
    ABANDONED = "abandoned", _("中止")


class RegistrationFailure(models.TextChoices):
    """Why a registration registered nothing; each has a message the member
    can act on (billing/payment_methods/exceptions.py)."""

    NOT_ENROLLED = "not_enrolled", _("3-Dセキュア未設定")
    AUTHENTICATION_FAILED = "authentication_failed", _("本人認証の失敗")
    CHALLENGE_ABANDONED = "challenge_abandoned", _("本人認証の中止")
    CANCELLED = "cancelled", _("カード入力の中止")
    DECLINED = "declined", _("カード発行会社が承認せず")
    UNSUPPORTED_BRAND = "unsupported_brand", _("使えないブランド")
    UNSUPPORTED_CARD = "unsupported_card", _("使えない種類のカード")
    HOLDER_NAME_MISMATCH = "holder_name_mismatch", _("名義が会員と不一致")
    HOLDER_NAME_UNKNOWN = "holder_name_unknown", _("会員のローマ字氏名が未登録")
    CARD_EXPIRED = "card_expired", _("有効期限切れのカード")
    ALREADY_REGISTERED = "already_registered", _("登録済みのカード")
    EXPIRED = "expired", _("手続きの有効期限切れ")
    SUPERSEDED = "superseded", _("新しい手続きを開始")
    PROVIDER_ERROR = "provider_error", _("決済代行会社のエラー")


class PaymentRegistration(models.Model):
    """One attempt to register a payment card, from the member pressing
    「カードを登録する」 to the provider's signed answer (or its absence).

    ``nonce`` travels through the provider and comes back in the signed
    result: it ties the answer to this attempt, and an attempt completes once.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="payment_registrations",
        verbose_name=_("会員"),
    )
    provider = models.CharField(_("決済代行会社"), max_length=50)
    nonce = models.CharField(max_length=64, unique=True, editable=False)
    status = models.CharField(
        _("状態"), max_length=16, choices=RegistrationStatus.choices, default=RegistrationStatus.STARTED
    )
    failure_code = models.CharField(_("理由"), max_length=32, choices=RegistrationFailure.choices, blank=True)
    three_ds = models.CharField(_("3-Dセキュアの結果"), max_length=32, blank=True)
    # What the provider said about the card, kept for the message and support
    # (never the number): brand as the provider names it, e.g. DINERS.
    brand = models.CharField(_("ブランド"), max_length=32, blank=True)
    last4 = models.CharField(_("下4桁"), max_length=4, blank=True)
    funding = models.CharField(_("種類"), max_length=16, blank=True)
    payment_method = models.OneToOneField(
        PaymentMethod, null=True, blank=True, on_delete=models.PROTECT, related_name="registration"
    )
    created_at = models.DateTimeField(_("開始日時"), auto_now_add=True)
    expires_at = models.DateTimeField(_("有効期限"))
    completed_at = models.DateTimeField(_("終了日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("決済用カードの登録手続き")
        verbose_name_plural = _("決済用カードの登録手続き")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["member", "-created_at"], name="payment_registration_member"),
            models.Index(fields=["status", "expires_at"], name="payment_registration_open"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=RegistrationStatus.STARTED, completed_at__isnull=True)
                | (~Q(status=RegistrationStatus.STARTED) & Q(completed_at__isnull=False)),
                name="payment_registration_completed_at",
            ),
            models.CheckConstraint(
                condition=Q(status=RegistrationStatus.SUCCEEDED, payment_method__isnull=False)
                | (~Q(status=RegistrationStatus.SUCCEEDED) & Q(payment_method__isnull=True)),
                name="payment_registration_method_on_success",
            ),
            models.CheckConstraint(
                condition=Q(last4="") | Q(last4__regex=r"^[0-9]{4}$"), name="payment_registration_last4_digits"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.status}"

    @property
    def label(self) -> str:
        """``VISA ••••0002`` when the provider named the card, else ""."""
        if not (self.brand and self.last4):
            return ""
        brand = Brand(self.brand).label if self.brand in Brand.values else payment_cards.brand_name(self.brand)
        return payment_cards.masked_label(brand, self.last4)

    @property
    def may_hold_an_amount(self) -> bool:
        """A debit or prepaid card that failed may still have an amount held."""
        return self.funding in (Funding.DEBIT, Funding.PREPAID) and self.status != RegistrationStatus.SUCCEEDED


class ExpiryReminder(models.Model):
    """The expiry reminder e-mail for one payment card and one expiry date:
    created before sending, ``sent_at`` set once sent, so a replayed task
    never sends twice."""

    payment_method = models.ForeignKey(PaymentMethod, on_delete=models.PROTECT, related_name="expiry_reminders")
    expires_on = models.DateField(_("有効期限"))
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(_("送信日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("有効期限のお知らせ")
        verbose_name_plural = _("有効期限のお知らせ")
        constraints = [
            models.UniqueConstraint(fields=["payment_method", "expires_on"], name="expiry_reminder_once"),
        ]

    def __str__(self) -> str:
        return f"{self.payment_method_id} {self.expires_on}"
