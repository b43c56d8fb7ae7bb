"""The audit trail in words, in the staff's language: what an entry's
``action`` code and ``detail`` mean (「カード登録失敗：名義が会員と不一致（VISA ••••4242）」
for ``payment_registration.failed`` / ``holder_name_mismatch``), never the code."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

ACTIONS = {
    "support.member_view": gettext_lazy("閲覧"),
    "support.document_resend": gettext_lazy("書類をメールで再送"),
    "support.document_rerun": gettext_lazy("書類を作り直し"),
    "support.sessions_end": gettext_lazy("すべてのログインを終了"),
    "support.member_unlock": gettext_lazy("ロックを解除"),
    "card.lost_device_report": gettext_lazy("紛失・故障の再発行登録"),
    "card.rename": gettext_lazy("ICOCAの名前を変更"),
    "card.reissue": gettext_lazy("ICOCAの再発行"),
    "payment_registration.started": gettext_lazy("カード登録を開始"),
    "payment_registration.succeeded": gettext_lazy("カード登録"),
    "payment_registration.failed": gettext_lazy("カード登録失敗"),
    "payment_registration.abandoned": gettext_lazy("カード登録を中止"),
    "payment_registration.rejected": gettext_lazy("カード登録の結果を受け付けず"),
    "payment_method.removed": gettext_lazy("決済用カードを削除"),
    "payment_method.default_set": gettext_lazy("デフォルトの決済用カードを変更"),
    "payment_method.demo_registered": gettext_lazy("決済用カードを登録（デモ）"),
    "staff.password_reset": gettext_lazy("スタッフのパスワードを再設定"),
    "document_retry": gettext_lazy("書類の作成をやり直し"),
}

PAGES = {
    "member_page": gettext_lazy("会員ページ"),
    "usage_page": gettext_lazy("会員ページの利用履歴（絞り込み・前の利用）"),
    "search": gettext_lazy("検索結果"),
    "documents_list": gettext_lazy("書類の一覧"),
    "documents": gettext_lazy("書類"),
    "document_pdf": gettext_lazy("書類のPDF"),
    "payment_methods_list": gettext_lazy("決済用カードの一覧"),
    "payment_methods": gettext_lazy("決済用カード"),
    "payment_registrations_list": gettext_lazy("カード登録手続きの一覧"),
    "payment_registrations": gettext_lazy("カード登録手続き"),
    "usage_list": gettext_lazy("利用履歴の一覧"),
    "usage": gettext_lazy("利用"),
    "points_list": gettext_lazy("ポイントの一覧"),
    "points": gettext_lazy("ポイント"),
    "expiry_reminders_list": gettext_lazy("有効期限のお知らせの一覧"),
    "expiry_reminders": gettext_lazy("有効期限のお知らせ"),
    "feed_reject": gettext_lazy("取り込めなかった行"),
}


def _card(detail: dict) -> str:
    brand, last4 = detail.get("brand") or "", detail.get("last4") or ""
    return f"（{brand} ••••{last4}）" if last4 else ""


def audit_words(action: str, detail: dict | None, reason: str = "") -> str:
    """One entry in words. Unknown codes are shown as they are."""
    detail = detail or {}
    label = ACTIONS.get(action)
    if label is None:
        return action
    if action == "support.member_view":
        page = PAGES.get(detail.get("page", ""), detail.get("page", ""))
        number = detail.get("document_number")
        return _("%(page)sを表示") % {"page": page} + (f"（{number}）" if number else "")
    if action == "payment_registration.failed" and reason:
        from billing.models import RegistrationFailure

        why = dict(RegistrationFailure.choices).get(reason, reason)
        return f"{label}：{why}{_card(detail)}"
    if action.startswith(("payment_registration.", "payment_method.")):
        return f"{label}{_card(detail)}"
    if action in ("support.document_resend", "support.document_rerun") and detail.get("document_number"):
        return f"{label}（{detail['document_number']}）"
    return str(label)
