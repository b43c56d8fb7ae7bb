"""Forms of the member's card pages: they parse input and show errors; the
rules live in cards/nicknames.py and the services."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import ErrorList
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cards.models import Device
from cards.nicknames import InvalidNickname, nickname_clean


def nickname_error(error: InvalidNickname) -> str:
    """The rule's message in the page's language."""
    message = gettext(error.message)
    return message % error.params if error.params else message


class NicknameField(forms.CharField):
    """The name as typed, checked by the card-name rule before anything else
    (Django's own checks would answer a NUL with a message of their own)."""

    def __init__(self, **kwargs):
        super().__init__(strip=False, required=False, **kwargs)
        self.validators = []

    def to_python(self, value):
        try:
            return nickname_clean(value)
        except InvalidNickname as error:
            raise ValidationError(nickname_error(error), code=error.code) from error


class CardRenameForm(forms.Form):
    nickname = NicknameField(
        label=_("新しい名前"),
        help_text=_("1〜20文字。漢字・かな・英数字・記号が使えます（絵文字は使えません）。"),
    )


@dataclass(frozen=True)
class ShownField:
    """What a page's hand-written field markup reads of a bound field (the card page's name
    field), read once: the template asked the BoundField for its id six times and its
    errors four, each time worked out again (a new ErrorList, the id formatted)."""

    id_for_label: str
    html_name: str
    value: object
    label: str
    help_text: str
    errors: ErrorList

    @classmethod
    def of(cls, field: forms.BoundField) -> ShownField:
        return cls(field.id_for_label, field.html_name, field.value(), field.label, field.help_text, field.errors)


class LostDeviceForm(forms.Form):
    """The device whose cards are stopped, among the member's own."""

    device = forms.ChoiceField(
        label=_("紛失・故障した端末"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("紛失・故障した端末を選んでください。"),
            "invalid_choice": _("選んだ端末には利用を停止できるICOCAがありません。もう一度選んでください。"),
        },
    )

    def __init__(self, *args, devices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["device"].choices = [(d.device, Device(d.device).label) for d in devices]
