"""The sandbox provider's own pages: card entry, the 3-D Secure challenge
and the way back to the merchant. They play "another site": they never read
the portal's session or member, only their own session (by its id in the URL)
from their own store, and they answer the merchant with a signed result."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing.payment_methods.providers.base import Outcome, ProviderFailure, ThreeDSOutcome
from billing.payment_methods.providers.sandbox import protocol, store
from billing.payment_methods.providers.sandbox.cards import (
    BRAND_NAMES,
    CHALLENGE_CODE,
    CHALLENGE_TRIES,
    TEST_CARDS,
    Scenario,
    brand_from_bin,
    detect_brand,
    find_test_card,
)
from billing.payment_methods.providers.sandbox.forms import CardEntryForm, brand_refused_message
from billing.payment_methods.providers.sandbox.store import Session, SessionStatus, VaultCard

logger = logging.getLogger(__name__)


class SeeOther(HttpResponseRedirect):
    status_code = 303


def _page(request, template: str, context: dict, status: int = 200):
    response = render(request, f"sandbox_pay/{template}", context, status=status)
    response["Cache-Control"] = "no-store"  # the back button asks again (an abandoned challenge)
    return response


def _closed(request, session: Session | None):
    """A session that is over, expired or unknown: a page of its own, with
    the way back to the merchant (without a result)."""
    if session is None:
        return _page(request, "closed.html", {"session": None, "reason": "unknown"}, status=404)
    reason = "finished" if session.status == SessionStatus.FINISHED else "expired"
    return _page(request, "closed.html", {"session": session, "reason": reason}, status=410)


def _finish(
    session: Session,
    *,
    outcome: Outcome,
    three_ds: ThreeDSOutcome,
    card: VaultCard | None,
    failure: ProviderFailure | None = None,
):
    """End the session and send the member back to the merchant with the
    signed result. A card that is not registered leaves the vault."""
    succeeded = outcome == Outcome.SUCCEEDED
    token = card.token if card is not None and succeeded else None
    if not store.session_advance(session.id, expected=session.status, status=SessionStatus.FINISHED, token=token):
        return None  # finished meanwhile (a double submit, another tab)
    payload: dict[str, object] = {
        "nonce": session.nonce,
        "ref": session.reference,
        "outcome": str(outcome),
        "three_ds": str(three_ds),
        "failure": str(failure) if failure else "",
    }
    if card is not None:
        payload.update(
            brand=card.brand,
            last4=card.last4,
            exp_month=card.exp_month,
            exp_year=card.exp_year,
            funding=card.funding,
            holder_name=card.holder_name,
            fingerprint=protocol.card_fingerprint(card.number),
        )
        if succeeded:
            payload["token"] = card.token
        else:
            store.card_delete(card.token)
    logger.info("sandbox pay session finished", extra={"outcome": str(outcome), "three_ds": str(three_ds)})
    separator = "&" if "?" in session.return_url else "?"
    return SeeOther(f"{session.return_url}{separator}{urlencode({'result': protocol.sign(payload)})}")


def _session_card(session: Session) -> VaultCard | None:
    return store.card_get(session.token) if session.token else None


@sensitive_post_parameters("number", "expiry", "cvc", "holder_name")
@never_cache
@require_http_methods(["GET", "POST"])
def entry(request, session_id: str):
    session = store.session_get(session_id)
    if session is None or session.status == SessionStatus.FINISHED or session.expired:
        return _closed(request, session)
    if session.status == SessionStatus.CHALLENGE:
        # Back from the challenge page (the browser's back button): the
        # challenge was abandoned, as an issuer's ACS reports it.
        response = _finish(
            session,
            outcome=Outcome.ABANDONED,
            three_ds=ThreeDSOutcome.CHALLENGE_ABANDONED,
            card=_session_card(session),
            failure=ProviderFailure.CHALLENGE_ABANDONED,
        )
        return response or _closed(request, store.session_get(session_id))

    if request.method == "GET":
        return _page(
            request,
            "entry.html",
            {
                "session": session,
                "form": _form_after_redirect(session),
                "test_cards": _test_card_rows(),
                "accepted_brands": [BRAND_NAMES.get(code, code) for code in session.brands],
            },
        )

    form = CardEntryForm(request.POST, accepted_brands=session.brands)
    if form.is_valid():
        number = form.cleaned_data["number"]
        test_card = find_test_card(number)
        if test_card is None:
            form.add_error(
                "number", _("Sandbox Payではテストカードだけが使えます。下の一覧のカード番号を入力してください。")
            )
        else:
            exp_month, exp_year = form.cleaned_data["expiry"]
            token = store.card_store(
                number=number,
                brand=form.brand or "",
                funding=test_card.funding,
                exp_month=exp_month,
                exp_year=exp_year,
                holder_name=form.cleaned_data["holder_name"],
            )
            response = _authenticate(session, store.card_get(token), test_card.scenario)
            return response or _closed(request, store.session_get(session_id))
    # Post/redirect/get: the browser's history holds no form submission, so
    # its back button never asks to send the card details again.
    store.session_keep_form(
        session.id,
        {
            "errors": {field: [str(m) for m in messages] for field, messages in form.errors.items()},
            "values": {name: request.POST.get(name, "")[:45] for name in ("expiry", "holder_name")},
        },
    )
    return SeeOther(reverse("sandbox_pay:entry", args=[session.id]))


def _form_after_redirect(session: Session) -> CardEntryForm:
    state = store.session_take_form(session.id)
    if not state:
        return CardEntryForm()
    form = CardEntryForm(initial=state.get("values") or {})
    form.cleaned_data = {}
    for field, messages in (state.get("errors") or {}).items():
        for message in messages:
            form.add_error(None if field == "__all__" else field, message)
    return form


def _authenticate(session: Session, card: VaultCard | None, scenario: Scenario):
    """3-D Secure 2.0 for the card just entered, then the issuer's answer."""
    if card is None:
        return None
    if scenario == Scenario.CHALLENGE:
        if not store.session_advance(
            session.id, expected=SessionStatus.ENTRY, status=SessionStatus.CHALLENGE, token=card.token
        ):
            store.card_delete(card.token)
            return None
        return SeeOther(reverse("sandbox_pay:challenge", args=[session.id]))
    if scenario == Scenario.NOT_ENROLLED:
        return _finish(
            session, outcome=Outcome.FAILED, three_ds=ThreeDSOutcome.NOT_ENROLLED, card=card,
            failure=ProviderFailure.NOT_ENROLLED,
        )
    if scenario == Scenario.AUTHENTICATION_FAILED:
        return _finish(
            session, outcome=Outcome.FAILED, three_ds=ThreeDSOutcome.FAILED, card=card,
            failure=ProviderFailure.AUTHENTICATION_FAILED,
        )
    if scenario == Scenario.DECLINED:
        return _finish(
            session, outcome=Outcome.FAILED, three_ds=ThreeDSOutcome.FRICTIONLESS, card=card,
            failure=ProviderFailure.DECLINED,
        )
    return _finish(session, outcome=Outcome.SUCCEEDED, three_ds=ThreeDSOutcome.FRICTIONLESS, card=card)


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def challenge(request, session_id: str):
    """The issuer's one-time code: ``CHALLENGE_TRIES`` tries, then the
    authentication fails. A wrong code before the last try shows the page
    again (post/redirect/get) with how many tries are left."""
    session = store.session_get(session_id)
    if session is None or session.status != SessionStatus.CHALLENGE or session.expired:
        return _closed(request, session)
    card = _session_card(session)
    if request.method == "POST":
        code = request.POST.get("code", "").strip()
        passed = code == CHALLENGE_CODE
        if not passed and session.challenge_failures + 1 < CHALLENGE_TRIES:
            if store.session_challenge_failed(session.id, failures_seen=session.challenge_failures):
                left = CHALLENGE_TRIES - session.challenge_failures - 1
                store.session_keep_form(session.id, {"code_error": left, "empty": not code})
            return SeeOther(reverse("sandbox_pay:challenge", args=[session.id]))
        response = _finish(
            session,
            outcome=Outcome.SUCCEEDED if passed else Outcome.FAILED,
            three_ds=ThreeDSOutcome.CHALLENGE_PASSED if passed else ThreeDSOutcome.CHALLENGE_FAILED,
            card=card,
            failure=None if passed else ProviderFailure.AUTHENTICATION_FAILED,
        )
        return response or _closed(request, store.session_get(session_id))
    state = store.session_take_form(session.id) or {}
    error = ""
    if "code_error" in state:
        left = int(state["code_error"])
        error = (
            _("ワンタイムパスワードを入力してください。あと%(left)d回入力できます。")
            if state.get("empty")
            else _("ワンタイムパスワードが正しくありません。あと%(left)d回入力できます。")
        ) % {"left": left}
    return _page(
        request,
        "challenge.html",
        {
            "session": session,
            "brand": BRAND_NAMES.get(card.brand, card.brand) if card else "",
            "last4": card.last4 if card else "",
            "error": error,
            "tries": CHALLENGE_TRIES,
        },
    )


@never_cache
@require_GET
def brand(request, session_id: str):
    """The brand of the number being typed, from its first digits (the BIN)
    only, and whether this session's merchant takes it: the entry page asks
    while the member types, before any authentication. Never more than the
    first 8 digits come here."""
    session = store.session_get(session_id)
    if session is None or session.status != SessionStatus.ENTRY or session.expired:
        return JsonResponse({"error": "closed"}, status=410 if session else 404)
    digits = request.GET.get("bin", "")[:8]
    code = brand_from_bin(digits)
    if code is None:
        return JsonResponse({"brand": None, "accepted": None, "message": ""})
    accepted = session.accepts(code)
    return JsonResponse(
        {
            "brand": BRAND_NAMES.get(code, code),
            "accepted": accepted,
            "message": "" if accepted else brand_refused_message(code, session.brands),
        }
    )


@require_POST
def cancel(request, session_id: str):
    """「登録をやめて戻る」 on either page."""
    session = store.session_get(session_id)
    if session is None or session.status == SessionStatus.FINISHED or session.expired:
        return _closed(request, session)
    in_challenge = session.status == SessionStatus.CHALLENGE
    response = _finish(
        session,
        outcome=Outcome.ABANDONED,
        three_ds=ThreeDSOutcome.CHALLENGE_ABANDONED if in_challenge else ThreeDSOutcome.NOT_PERFORMED,
        card=_session_card(session),
        failure=ProviderFailure.CHALLENGE_ABANDONED if in_challenge else None,
    )
    return response or _closed(request, store.session_get(session_id))


_SCENARIO_TEXT = {
    Scenario.FRICTIONLESS: _("本人認証に成功（認証画面なし）"),
    Scenario.CHALLENGE: _("認証画面: 123456で成功、3回まちがえると失敗"),
    Scenario.AUTHENTICATION_FAILED: _("本人認証に失敗"),
    Scenario.NOT_ENROLLED: _("3-Dセキュア未設定"),
    Scenario.DECLINED: _("カード発行会社が承認しない"),
}
_FUNDING_TEXT = {"credit": _("クレジット"), "debit": _("デビット"), "prepaid": _("プリペイド")}


def _grouped(number: str) -> str:
    """As printed on the card: 4-6-5 (American Express), 4-6-4 (14 digits), else fours."""
    if len(number) in (14, 15):
        return f"{number[:4]} {number[4:10]} {number[10:]}"
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


def _test_card_rows() -> list[dict[str, str]]:
    rows = []
    for card in TEST_CARDS.values():
        brand = detect_brand(card.number) or ""
        rows.append(
            {
                "number": _grouped(card.number),
                "brand": BRAND_NAMES.get(brand, brand),
                "funding": _FUNDING_TEXT[card.funding],
                "behaviour": _SCENARIO_TEXT[card.scenario],
            }
        )
    return rows
