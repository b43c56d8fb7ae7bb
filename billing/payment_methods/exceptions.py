"""Payment-method refusals, each with a message the member can act on."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

from accounts.exceptions import PortalError
from billing.payment_methods import payment_cards
from billing.payment_methods.models import PaymentRegistration, RegistrationFailure
from cards.window import JAPAN


def registration_failure_message(registration: PaymentRegistration) -> str:
    """Why a registration registered nothing, and what to do about it."""
    code = registration.failure_code
    if code == RegistrationFailure.NOT_ENROLLED:
        return _(
            "このカードは3-Dセキュア（本人認証サービス）が設定されていないため、登録できませんでした。"
            "カード発行会社のウェブサイトやアプリで3-Dセキュアを設定してから、もう一度登録してください。"
        )
    if code == RegistrationFailure.AUTHENTICATION_FAILED:
        return _(
            "3-Dセキュア（本人認証）に失敗したため、カードは登録されていません。"
            "ワンタイムパスワードなどを確かめて、もう一度お試しください。"
            "くり返し失敗するときは、カード発行会社にお問い合わせください。"
        )
    if code == RegistrationFailure.CHALLENGE_ABANDONED:
        return _(
            "3-Dセキュア（本人認証）が最後まで行われなかったため、カードは登録されていません。"
            "登録するときは、カード発行会社の認証画面で認証を済ませてください。"
        )
    if code == RegistrationFailure.CANCELLED:
        return _("カードの入力を中止したため、カードは登録されていません。")
    if code == RegistrationFailure.DECLINED:
        return _(
            "カード発行会社がこのカードの利用を承認しなかったため、登録できませんでした。"
            "カード発行会社にお問い合わせいただくか、別のカードを登録してください。"
        )
    if code == RegistrationFailure.UNSUPPORTED_BRAND:
        return _(
            "このブランドのカードは使えません。"
            "登録できるのは、JCB、VISA、Mastercard、American Expressのカードです。"
        )
    if code == RegistrationFailure.UNSUPPORTED_CARD:
        return _(
            "この種類のカードは使えません。"
            "クレジットカード、デビットカード、プリペイドカードを登録してください。"
        )
    if code == RegistrationFailure.HOLDER_NAME_MISMATCH:
        name, source = payment_cards.member_romaji_name(registration.member)
        if source == payment_cards.MEMBER:
            return _(
                "カードの名義が、登録されたお名前（%(name)s）と一致しないため、登録できませんでした。"
                "登録できるのは、ご本人名義のカードだけです。"
                "お名前がカードの印字と違うときは、設定で直してから、もう一度登録してください。"
            ) % {"name": name}
        return _(
            "カードの名義がWESTER IDに登録されたお名前（%(name)s）と一致しないため、登録できませんでした。"
            "登録できるのは、WESTER IDに登録したご本人名義のカードだけです。"
        ) % {"name": name}
    if code == RegistrationFailure.HOLDER_NAME_UNKNOWN:
        return _(
            "ローマ字のお名前がわからないため、カードの名義を確かめられませんでした。"
            "カードに書かれているお名前（ローマ字）を入力してから、もう一度登録してください。"
        )
    if code == RegistrationFailure.CARD_EXPIRED:
        return _("有効期限が過ぎたカードは登録できません。新しいカードを登録してください。")
    if code == RegistrationFailure.ALREADY_REGISTERED:
        return _("このカードはすでに登録されています。")
    if code == RegistrationFailure.EXPIRED:
        return _(
            "登録の手続きが時間内に終わらなかったため、カードは登録されていません。"
            "もう一度はじめから登録してください。"
        )
    if code == RegistrationFailure.SUPERSEDED:
        return _("新しい登録の手続きを始めたため、この手続きは終了しました。")
    return _(
        "決済代行会社で問題が起きたため、カードは登録されていません。"
        "しばらくしてから、もう一度お試しください。"
    )


def hold_notice() -> str:
    return _(
        "デビットカード・プリペイドカードでは、確認のための金額がしばらくの間引き落とされた（保留された）"
        "ままになることがあります。この金額は請求されず、カード発行会社の手続きで戻ります。"
        "戻る時期はカード発行会社にお問い合わせください。"
    )


class PaymentRegistrationFailed(PortalError):
    """The registration ended without a card (recorded on ``registration``)."""

    def __init__(self, registration: PaymentRegistration):
        self.registration = registration
        message = registration_failure_message(registration)
        if registration.may_hold_an_amount:
            message = f"{message} {hold_notice()}"
        super().__init__(message)


class PaymentResultRejected(PortalError):
    """What came back is not a usable answer to one of this member's open
    registrations: tampered, unknown, another member's, or used before."""

    def __init__(self, code: str):
        self.code = code
        if code == "replay":
            message = _("この登録の手続きはすでに終了しています。登録済みのカードは一覧でご確認ください。")
        else:
            message = _(
                "決済代行会社からの結果を確かめられなかったため、カードは登録されていません。"
                "もう一度はじめから登録してください。"
            )
        super().__init__(message)


class TooManyRegistrations(PortalError):
    def __init__(self, limit: int, *, retry_at: datetime):
        self.retry_at = retry_at
        super().__init__(
            _(
                "カード登録のお試しが24時間で%(limit)d回に達しました。"
                "%(when)s以降に、もう一度お試しください。"
                "（途中でやめた手続きは数えません。）"
            )
            % {"limit": limit, "when": japan_time(retry_at)}
        )


def japan_time(moment: datetime) -> str:
    """``11月26日 14:06`` (``26 Nov 2026 14:06``), Japan time, rounded up to
    the next minute (never a moment too early)."""
    local = timezone.localtime(moment, JAPAN)
    if local.second or local.microsecond:
        local = local.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return dateformat.format(local, _("n月j日 H:i"))


class CardNameRequired(PortalError):
    """Neither WESTER ID nor the member has given a romaji name to compare a
    card's holder name with: the member is asked for it first."""

    def __init__(self):
        super().__init__(_("カードに書かれているお名前（ローマ字）を入力してから、カードを登録してください。"))


class PaymentProviderUnavailable(PortalError):
    def __init__(self):
        super().__init__(
            _("決済代行会社に接続できませんでした。しばらくしてから、もう一度お試しください。")
        )


class LastPaymentMethodInUse(PortalError):
    def __init__(self):
        super().__init__(
            _(
                "ご利用中のICOCAがあるため、最後の決済用カードは削除できません。"
                "先に別のカードを登録してから、このカードを削除してください。"
            )
        )


class PaymentMethodNotFound(PortalError):
    """Not one of the member's payment methods in use (a 404 for views)."""


class PaymentMethodExpired(PortalError):
    def __init__(self):
        super().__init__(
            _("有効期限が過ぎたカードはデフォルトにできません。新しいカードを登録してください。")
        )
