from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.exceptions import MemberPasswordRefused
from portal.fields import ShownDateTimeField


class Language(models.TextChoices):
    JA = "ja", "日本語"
    EN = "en", "English"


class Member(AbstractUser):
    """A person who signs in: a member (identity = WESTER ID ``sub``) or a
    support-center staff account (no WESTER ID, a password and TOTP).

    Members never have a usable password: WESTER ID is their only way in, so
    ``set_password`` refuses one and ``check_password`` never matches for them,
    whatever the database holds. Their name and e-mail are refreshed from the
    WESTER ID claims at every sign-in. The card center's feed may create a
    member before they first sign in; the sign-in links them by ``wester_id``.
    """

    wester_id = models.CharField(
        _("WESTER ID"), max_length=255, unique=True, null=True, blank=True
    )
    name = models.CharField(_("氏名"), max_length=200, blank=True)
    language = models.CharField(
        _("表示言語"), max_length=2, choices=Language.choices, default=Language.JA
    )
    last_signed_in_at = ShownDateTimeField(_("最終ログイン"), null=True, blank=True)
    last_sign_in_device = models.CharField(_("最終ログインの端末"), max_length=60, blank=True)
    # The sign-in before the current one, shown on マイページ ("was it you?"), as banks do.
    previous_signed_in_at = ShownDateTimeField(_("前回のログイン"), null=True, blank=True)
    previous_sign_in_device = models.CharField(_("前回のログインの端末"), max_length=60, blank=True)
    email_pass_reminders = models.BooleanField(_("定期券の期限のお知らせ"), default=True)
    email_monthly_statement = models.BooleanField(_("毎月の利用明細書"), default=False)
    # The name as printed on the member's payment cards (A–Z and spaces), asked once before
    # a card is registered when WESTER ID sends no romaji name; changed on /settings/.
    card_name = models.CharField(_("カードの名義（ローマ字）"), max_length=45, blank=True)

    class Meta:
        verbose_name = _("会員")
        verbose_name_plural = _("会員")

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_member(self) -> bool:
        return bool(self.wester_id)

    @property
    def full_name(self) -> str:
        """The member's name as WESTER ID gives it (family name first), ``""`` when none is
        known: what a document is addressed to."""
        return self.name or " ".join(p for p in (self.last_name, self.first_name) if p)

    @property
    def display_name(self) -> str:
        """The name shown to staff and on pages: the full name, else what identifies the member."""
        if self.full_name:
            return self.full_name
        if self.wester_id:
            # Known only from the card center's feed (never signed in): never the internal user name.
            from django.utils.translation import gettext

            return gettext("未ログインの会員（WESTER ID %(wester_id)s）") % {"wester_id": self.wester_id}
        return self.username

    def get_full_name(self) -> str:
        return self.display_name

    def set_password(self, raw_password) -> None:
        if raw_password is not None and self.is_member:
            raise MemberPasswordRefused(_("会員のアカウントにはパスワードを設定できません（WESTER IDでログインします）。"))
        super().set_password(raw_password)

    def check_password(self, raw_password) -> bool:
        """Only a staff account signs in with a password: a member never, even
        with a password written into the database by hand."""
        if self.is_member or not self.is_staff:
            return False
        return super().check_password(raw_password)

    def has_usable_password(self) -> bool:
        return not self.is_member and super().has_usable_password()


class AuditEvent(models.Model):
    """Who did what to a member's account, and when: payment-card
    registrations, reissues, changes made by staff on a member's behalf.

    ``detail`` holds identifiers and outcomes only (an opaque id, a brand and
    the last four digits, a status): never a card number, a security code, a
    provider token or a full ICOCA number. Rows are only ever added.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("操作した人"),
        help_text=_("会員本人、またはサポートセンターのスタッフ。システムの処理では空。"),
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="audit_events", verbose_name=_("会員")
    )
    action = models.CharField(_("操作"), max_length=100)
    detail = models.JSONField(_("内容"), default=dict, blank=True)
    reason = models.TextField(_("理由"), blank=True)
    at = models.DateTimeField(_("日時"), default=timezone.now)

    class Meta:
        verbose_name = _("操作記録")
        verbose_name_plural = _("操作記録")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["member", "-at"], name="audit_member_at")]

    def __str__(self) -> str:
        return f"{self.action} ({self.at:%Y-%m-%d %H:%M})"


class SecurityNoticeKind(models.TextChoices):
    LOST_DEVICE = "lost_device", _("紛失・故障の届け出")
    CARD_REGISTERED = "card_registered", _("決済用カードの登録")
    CARD_REMOVED = "card_removed", _("決済用カードの削除")
    CARD_DEFAULT = "card_default", _("デフォルトのカードの変更")
    SESSIONS_ENDED = "sessions_ended", _("すべてのログインの終了")


class SecurityNotice(models.Model):
    """An e-mail confirming a security-relevant change to the member (sent once,
    after the change's transaction commits, through ``portal.mail``). ``detail``
    copies what the e-mail names (card labels, the device), never a secret."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="security_notices", verbose_name=_("会員")
    )
    kind = models.CharField(_("種類"), max_length=32, choices=SecurityNoticeKind.choices)
    detail = models.JSONField(_("内容"), default=dict, blank=True)
    created_at = models.DateTimeField(_("日時"), default=timezone.now)
    sent_at = models.DateTimeField(_("送信日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("セキュリティのお知らせ")
        verbose_name_plural = _("セキュリティのお知らせ")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} ({self.created_at:%Y-%m-%d %H:%M})"
