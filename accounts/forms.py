"""Forms of the member's own pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Language, Member

CARD_NAME_ERRORS = {
    "empty": _("カードに書かれているお名前を、ローマ字で入力してください。"),
    "letters": _("ローマ字（A〜Z）と空白だけで入力してください。漢字・かな・数字・記号は使えません。"),
    "short": _("お名前は2文字以上で入力してください。"),
    "long": _("お名前は45文字以内で入力してください。"),
}


class CardNameForm(forms.Form):
    """The name as printed on the member's payment cards (A–Z and spaces)."""

    card_name = forms.CharField(
        label=_("カードに書かれているお名前（ローマ字）"),
        required=False,
        max_length=100,
        help_text=_("クレジットカードなどに印字されているとおりに、A〜Zと空白で入力してください（例: HANAKO YAMADA）。"),
        widget=forms.TextInput(
            attrs={"autocomplete": "cc-name", "autocapitalize": "characters", "spellcheck": "false"}
        ),
        error_messages={"max_length": CARD_NAME_ERRORS["long"]},
    )

    def clean_card_name(self) -> str:
        from billing.payment_methods.payment_cards import CardNameInvalid, card_name_clean

        try:
            return card_name_clean(self.cleaned_data["card_name"])
        except CardNameInvalid as error:
            raise forms.ValidationError(CARD_NAME_ERRORS[error.code], code=error.code) from None


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
