"""Forms of the member's own pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Language, Member


class MemberSettingsForm(forms.ModelForm):
    """E-mail preferences and the display language (/settings/)."""

    class Meta:
        model = Member
        fields = ["email_pass_reminders", "email_monthly_statement", "language"]
        labels = {
            "email_pass_reminders": _("定期券の有効期限のお知らせを受け取る"),
            "email_monthly_statement": _("毎月の利用明細書を受け取る"),
            "language": _("表示言語"),
        }
        help_texts = {
            "email_pass_reminders": _("定期券が切れる14日前に、定期券1枚につき1回メールでお知らせします。"),
            "email_monthly_statement": _("毎月初めに、前の月の利用明細書（領収書）をメールでお送りします。"),
            "language": _("画面とメールの言語です。"),
        }
        widgets = {"language": forms.RadioSelect(choices=Language.choices)}
