"""Documents: 利用明細書（領収書）, 払いもどし計算書 and 利用履歴証明, and the counter their
numbers come from."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    RECEIPT = "receipt", _("利用明細書（領収書）")
    REFUND_STATEMENT = "refund_statement", _("払いもどし計算書")
    USAGE_HISTORY = "usage_history", _("利用履歴証明")


class DocumentStatus(models.TextChoices):
    PENDING = "pending", _("作成待ち")
    RENDERING = "rendering", _("作成中")
    READY = "ready", _("作成済み")
    FAILED = "failed", _("作成できませんでした")


class DocumentOrigin(models.TextChoices):
    REQUEST = "request", _("会員の依頼")
    MONTHLY = "monthly", _("毎月の利用明細書")
    REPRINT = "reprint", _("再発行")


class DocumentLanguage(models.TextChoices):
    """The language a document is issued (or reprinted) in: the page's by default."""

    JA = "ja", _("日本語")
    EN = "en", _("英語")


class DocumentCounter(models.Model):
    """The last sequence handed out for one kind and month (``R-202611``):
    document numbers come from here (billing/documents/numbering.py)."""

    key = models.CharField(max_length=16, primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("書類番号の採番")
        verbose_name_plural = _("書類番号の採番")

    def __str__(self) -> str:
        return f"{self.key}: {self.last}"


def document_file_name(instance: Document, filename: str) -> str:
    """An unguessable name, unrelated to the document's number or public id."""
    return f"documents/{uuid.uuid4().hex}.pdf"


class Document(models.Model):
    """A receipt, refund statement or usage history a member asked for (or the
    monthly statement made for them), from the request to the stored PDF.

    Everything the document shows is fixed on the row when it is created:
    ``content`` (the lines or the refund's figures, composed by
    billing/documents/receipts.py, billing/documents/refund_statements.py and
    billing/documents/usage_histories.py), the issuer's name and
    registration number and the addressee. Later changes to cards, names or
    settings never change a document. Once ``ready`` the row and its PDF stay
    as they are; printing again makes a ``reprint``: a row of its own with the
    same number, content (figures) and first issue date, the 再発行 mark, and
    its own PDF. An original has at most one reprint per language
    (``document_reprint_per_language``): asking again in the same language
    gives the same reprint, asking in the other language makes the other one,
    so a receipt issued in Japanese can be printed in English without a second
    number or a second original (docs/decisions.md).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="documents", verbose_name=_("会員")
    )
    kind = models.CharField(_("種類"), max_length=16, choices=DocumentKind.choices)
    origin = models.CharField(_("作成のきっかけ"), max_length=8, choices=DocumentOrigin.choices,
                              default=DocumentOrigin.REQUEST)
    number = models.CharField(_("書類番号"), max_length=24)
    reissue_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reprints", verbose_name=_("再発行元"),
    )
    # What was asked: a period (Japan dates, both included) or one payment for a
    # receipt; the refund for a refund statement; a period and a scope (which card,
    # which kinds, which stations: billing/documents/usage_histories.py) for a usage history.
    period_start = models.DateField(_("対象期間（から）"), null=True, blank=True)
    period_end = models.DateField(_("対象期間（まで）"), null=True, blank=True)
    payment_ref = models.CharField(_("対象のお支払い"), max_length=80, blank=True)
    scope = models.CharField(_("対象の条件"), max_length=300, blank=True)
    refund = models.ForeignKey(
        "cards.Refund", null=True, blank=True, on_delete=models.PROTECT, related_name="documents",
        verbose_name=_("払いもどし"),
    )
    language = models.CharField(_("言語"), max_length=2, choices=DocumentLanguage.choices)
    # The snapshot: what the PDF shows, fixed when the document was created.
    content = models.JSONField(_("内容"), default=dict)
    total_amount = models.IntegerField(_("金額"))
    issuer_name = models.CharField(_("発行者"), max_length=200)
    issuer_registration_number = models.CharField(_("登録番号"), max_length=14)
    addressee_name = models.CharField(_("宛名"), max_length=200, blank=True)

    status = models.CharField(_("状態"), max_length=16, choices=DocumentStatus.choices,
                              default=DocumentStatus.PENDING)
    failure_reason = models.TextField(_("作成できなかった理由"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("作成の試行回数"), default=0)
    file = models.FileField(_("PDF"), upload_to=document_file_name, max_length=200, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)

    requested_at = models.DateTimeField(_("依頼日時"), default=timezone.now)
    queued_at = models.DateTimeField(_("作成の依頼を送った日時"), null=True, blank=True)
    rendering_started_at = models.DateTimeField(null=True, blank=True)
    first_issued_at = models.DateTimeField(_("初回発行日時"), null=True, blank=True)
    rendered_at = models.DateTimeField(_("作成日時"), null=True, blank=True)
    reissue_count = models.PositiveIntegerField(_("再発行の回数"), default=0)

    emailed_at = models.DateTimeField(_("メール送信日時"), null=True, blank=True)
    email_queued_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(_("メール送信の試行回数"), default=0)
    email_failed_reason = models.TextField(_("メールを送れなかった理由"), blank=True)

    class Meta:
        verbose_name = _("書類")
        verbose_name_plural = _("書類")
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["member", "-requested_at"], name="document_member_requested"),
            models.Index(fields=["member", "-first_issued_at"], name="document_member_issued"),
            models.Index(fields=["status", "queued_at"], name="document_status_queued"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["number"], condition=Q(reissue_of__isnull=True), name="document_number_unique"
            ),
            models.UniqueConstraint(
                fields=["member", "kind", "period_start", "period_end"],
                condition=Q(origin="monthly"),
                name="document_monthly_once",
            ),
            models.CheckConstraint(
                condition=~Q(status="ready") | (~Q(file="") & ~Q(sha256="") & Q(first_issued_at__isnull=False)),
                name="document_ready_has_file",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=("receipt", "usage_history"), refund__isnull=True)
                | Q(kind="refund_statement", refund__isnull=False),
                name="document_refund_for_statement",
            ),
            models.UniqueConstraint(
                fields=["reissue_of", "language"], condition=Q(reissue_of__isnull=False),
                name="document_reprint_per_language",
            ),
            models.CheckConstraint(
                condition=Q(origin="reprint", reissue_of__isnull=False) | (~Q(origin="reprint") & Q(reissue_of__isnull=True)),
                name="document_reprint_has_original",
            ),
            models.CheckConstraint(condition=Q(language__in=("ja", "en")), name="document_language"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.get_kind_display()}"

    @property
    def is_reprint(self) -> bool:
        return self.reissue_of_id is not None

    @property
    def is_ready(self) -> bool:
        return self.status == DocumentStatus.READY

    @property
    def in_progress(self) -> bool:
        return self.status in (DocumentStatus.PENDING, DocumentStatus.RENDERING)
