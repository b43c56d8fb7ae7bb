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


class ReadsForm(forms.Form):
    """閲覧の記録: one member (WESTER ID) or one staff account (user name),
    over a period of at most a year (Japan dates, both days included)."""

    MAX_DAYS = 366

    wester_id = forms.CharField(label="会員のWESTER ID", required=False, max_length=255)
    staff = forms.CharField(label="スタッフのユーザー名", required=False, max_length=150)
    since = forms.DateField(label="期間（から）", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="期間（まで）", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        from datetime import timedelta

        from cards.window import japan_today

        data = super().clean()
        wester_id, staff = (data.get("wester_id") or "").strip(), (data.get("staff") or "").strip()
        if bool(wester_id) == bool(staff):
            raise forms.ValidationError("会員のWESTER IDか、スタッフのユーザー名のどちらか一方を入力してください。")
        until = data.get("until") or japan_today()
        since = data.get("since") or until - timedelta(days=30)
        if since > until:
            raise forms.ValidationError("期間の始めが終わりより後になっています。")
        if (until - since).days > self.MAX_DAYS:
            raise forms.ValidationError(f"期間は{self.MAX_DAYS}日以内にしてください。")
        return {"wester_id": wester_id, "staff": staff, "since": since, "until": until}
