from __future__ import annotations

import re
import unicodedata
from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from billing.payment_methods.providers.sandbox.cards import BRAND_NAMES, detect_brand, digits_only, luhn_valid
from cards.window import japan_today

_EXPIRY = re.compile(r"^\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*$")
_HOLDER = re.compile(r"^[A-Z][A-Z .'\-]{0,44}$")


def brand_refused_message(brand: str, accepted: tuple[str, ...]) -> str:
    """What the page says about a number of a brand the merchant does not take."""
    return _("%(brand)sのカードはこのお店では使えません。使えるのは%(accepted)sのカードです。") % {
        "brand": BRAND_NAMES.get(brand, brand),
        "accepted": str(_("、")).join(BRAND_NAMES.get(code, code) for code in accepted),
    }


class SecretInput(forms.TextInput):
    """A text box that never writes the value back into the page (a page
    with an error shows the card number and security code fields empty)."""

    def format_value(self, value):
        return None


class CardEntryForm(forms.Form):
    number = forms.CharField(
        label=_("カード番号"),
        max_length=23,
        widget=SecretInput(
            attrs={"inputmode": "numeric", "autocomplete": "cc-number", "placeholder": "1234 5678 9012 3456"}
        ),
    )
    expiry = forms.CharField(
        label=_("有効期限（月/年）"),
        max_length=7,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "cc-exp", "placeholder": "MM/YY"}),
    )
    cvc = forms.CharField(
        label=_("セキュリティコード"),
        max_length=4,
        widget=SecretInput(attrs={"inputmode": "numeric", "autocomplete": "cc-csc", "placeholder": "123"}),
    )
    holder_name = forms.CharField(
        label=_("カード名義（ローマ字）"),
        max_length=45,
        widget=forms.TextInput(
            attrs={"autocomplete": "cc-name", "autocapitalize": "characters", "placeholder": "TARO YAMADA"}
        ),
    )

    def __init__(self, *args, today: date | None = None, accepted_brands: tuple[str, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or japan_today()
        self.accepted_brands = tuple(accepted_brands)
        self.brand: str | None = None
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("id", f"card-{name}")

    def clean_number(self) -> str:
        number = digits_only(self.cleaned_data["number"])
        if not number:
            raise forms.ValidationError(_("カード番号は数字で入力してください。"))
        if not 12 <= len(number) <= 19 or not luhn_valid(number):
            raise forms.ValidationError(_("カード番号に誤りがあります。カードに書かれているとおりに入力してください。"))
        self.brand = detect_brand(number)
        if self.brand is None:
            raise forms.ValidationError(_("このカード番号のカード会社がわかりません。番号をお確かめください。"))
        if self.accepted_brands and self.brand not in self.accepted_brands:
            raise forms.ValidationError(brand_refused_message(self.brand, self.accepted_brands))
        return number

    def clean_expiry(self) -> tuple[int, int]:
        match = _EXPIRY.match(self.cleaned_data["expiry"])
        if not match:
            raise forms.ValidationError(_("有効期限は「月/年」の形（例: 08/29）で入力してください。"))
        month, year = int(match[1]), int(match[2])
        year = year + 2000 if year < 100 else year
        if not 1 <= month <= 12:
            raise forms.ValidationError(_("有効期限の月は01から12で入力してください。"))
        if (year, month) < (self.today.year, self.today.month):
            raise forms.ValidationError(_("有効期限が過ぎています。"))
        if year > self.today.year + 20:
            raise forms.ValidationError(_("有効期限をお確かめください。"))
        return month, year

    def clean_cvc(self) -> str:
        cvc = self.cleaned_data["cvc"].strip()
        if not (cvc.isascii() and cvc.isdigit() and len(cvc) in (3, 4)):
            raise forms.ValidationError(_("セキュリティコードは3桁または4桁の数字で入力してください。"))
        return cvc

    def clean_holder_name(self) -> str:
        name = " ".join(unicodedata.normalize("NFKC", self.cleaned_data["holder_name"]).upper().split())
        if not _HOLDER.match(name):
            raise forms.ValidationError(_("カード名義は、カードに書かれているとおりにローマ字で入力してください。"))
        return name

    def clean(self):
        cleaned = super().clean()
        cvc = cleaned.get("cvc")
        if cvc and self.brand:
            expected = 4 if self.brand == "AMEX" else 3
            if len(cvc) != expected:
                self.add_error(
                    "cvc",
                    _("このカードのセキュリティコードは%(digits)d桁です。") % {"digits": expected},
                )
        return cleaned
