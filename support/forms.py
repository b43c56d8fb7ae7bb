from django import forms

from cards.models import Device
from support.services import REASON_MAX


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="理由",
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60, "placeholder": "例：お電話でのご依頼（受付番号 12345）"}),
        help_text="操作記録に残ります。会員からの依頼内容や受付番号を書いてください。",
        error_messages={"required": "理由を入力してください。"},
    )

    def clean_reason(self):
        reason = " ".join(self.cleaned_data["reason"].split())
        if not reason:
            raise forms.ValidationError("理由を入力してください。")
        return reason


class LostDeviceForm(ReasonForm):
    device = forms.ChoiceField(label="紛失・故障した端末", choices=Device.choices, widget=forms.RadioSelect)
    field_order = ["device", "reason"]

    def __init__(self, *args, devices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if devices is not None:
            self.fields["device"].choices = [(value, label) for value, label in Device.choices if value in devices]


class DocumentActionForm(ReasonForm):
    document = forms.UUIDField(widget=forms.HiddenInput)
