"""決済用カード: the member's payment methods. Every view looks a method up
within the signed-in member's own (a 404 for anyone else's)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.exceptions import PortalError
from accounts.forms import CardNameForm
from accounts.services import member_card_name_set
from billing.payment_methods import payment_cards, selectors
from billing.payment_methods.exceptions import (
    PaymentMethodNotFound,
    PaymentRegistrationFailed,
    hold_notice,
    registration_failure_message,
)
from billing.payment_methods.models import PaymentMethod, RegistrationStatus
from billing.payment_methods.services import methods as method_services
from billing.payment_methods.services import registration as registration_services
from cards.window import japan_today

LIST = "payment_methods:payment-method-list"


def _member_method(request, public_id: uuid.UUID) -> PaymentMethod:
    method = selectors.payment_method_get(member=request.user, public_id=public_id)
    if method is None:
        raise Http404
    return method


def _list_page(request, *, card_name_form: CardNameForm | None = None, status: int = 200):
    today = japan_today()
    methods = [
        {"method": m, "expired": m.is_expired(today), "expires_soon": m.expires_soon(today)}
        for m in selectors.payment_method_list(member=request.user)
    ]
    romaji_name, source = payment_cards.member_romaji_name(request.user)
    context = {
        "methods": methods,
        "romaji_name": romaji_name,
        "romaji_from_wester_id": source == payment_cards.WESTER_ID,
        "card_name_form": card_name_form or (None if romaji_name else CardNameForm()),
    }
    return render(request, "billing/payment_method_list.html", context, status=status)


@login_required
@require_GET
def payment_method_list(request):
    return _list_page(request)


@login_required
@require_POST
def payment_method_register(request):
    """Start a registration and send the member to the provider's page. A
    member with no romaji name known (WESTER ID sent none) gives the name as
    printed on their cards in the same form, once: it is stored (audited)
    before the registration starts."""
    if not payment_cards.member_romaji_name(request.user)[0]:
        form = CardNameForm(request.POST)
        if "card_name" not in request.POST:  # 「もう一度カードを登録する」 before any name: ask for it
            return redirect(LIST)
        if not form.is_valid():
            return _list_page(request, card_name_form=form, status=400)
        member_card_name_set(member=request.user, card_name=form.cleaned_data["card_name"])
    return_url = request.build_absolute_uri(reverse("payment_methods:payment-method-return"))
    try:
        redirect_url = registration_services.payment_registration_start(member=request.user, return_url=return_url)
    except PortalError as error:
        messages.error(request, str(error))
        return redirect(LIST)
    return redirect(redirect_url)


@login_required
@require_GET
@never_cache
def payment_method_return(request):
    """Where the provider sends the member back, with its signed result."""
    signed_result = request.GET.get("result", "")
    if not signed_result:
        return redirect(LIST)
    try:
        method = registration_services.payment_registration_complete(member=request.user, signed_result=signed_result)
    except PaymentRegistrationFailed as failure:
        return redirect("payment_methods:payment-registration-detail", public_id=failure.registration.public_id)
    except PortalError as error:
        messages.error(request, str(error))
        return redirect(LIST)
    if method.is_default:
        messages.success(request, _("%(card)s を登録し、デフォルトのカードにしました。") % {"card": method.label})
    else:
        messages.success(request, _("%(card)s を登録しました。") % {"card": method.label})
    return redirect(LIST)


@login_required
@require_GET
def payment_registration_detail(request, public_id: uuid.UUID):
    """Why a registration registered nothing, and what the member can do."""
    registration = selectors.payment_registration_get(member=request.user, public_id=public_id)
    if registration is None:
        raise Http404
    if registration.status in (RegistrationStatus.STARTED, RegistrationStatus.SUCCEEDED):
        return redirect(LIST)
    return render(
        request,
        "billing/payment_registration_detail.html",
        {
            "registration": registration,
            "message": registration_failure_message(registration),
            "hold_notice": hold_notice() if registration.may_hold_an_amount else "",
        },
    )


@login_required
@require_POST
def payment_method_set_default(request, public_id: uuid.UUID):
    method = _member_method(request, public_id)
    try:
        method_services.payment_method_set_default(member=request.user, payment_method=method)
    except PaymentMethodNotFound as error:
        raise Http404 from error
    except PortalError as error:
        messages.error(request, str(error))
        return redirect(LIST)
    messages.success(request, _("デフォルトのカードを %(card)s にしました。") % {"card": method.label})
    return redirect(LIST)


@login_required
@require_http_methods(["GET", "POST"])
def payment_method_remove(request, public_id: uuid.UUID):
    """GET asks for confirmation; POST removes."""
    method = _member_method(request, public_id)
    if request.method == "GET":
        return render(request, "billing/payment_method_remove.html", {"method": method})
    try:
        new_default = method_services.payment_method_remove(member=request.user, payment_method=method)
    except PaymentMethodNotFound as error:
        raise Http404 from error
    except PortalError as error:
        messages.error(request, str(error))
        return redirect(LIST)
    messages.success(request, _("%(card)s を削除しました。") % {"card": method.label})
    if new_default is not None:
        messages.info(request, _("デフォルトのカードは %(card)s になりました。") % {"card": new_default.label})
    return redirect(LIST)
