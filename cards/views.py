"""The member's card pages: マイページ, a card's own page with its name,
紛失・故障の再発行登録, and the help."""

from __future__ import annotations

from allauth.account.utils import get_next_redirect_url
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing.documents.selectors import refund_statements
from cards import selectors, services
from cards.exceptions import CardClosed, CardNotFound, NoCardToSuspend
from cards.face_rendering import face_items
from cards.forms import CardRenameForm, LostDeviceForm, ShownField, nickname_error
from cards.history.filters import japan_date
from cards.models import CardStatus, Device
from cards.nicknames import InvalidNickname
from cards.pass_rendering import pass_items
from cards.points_rendering import points_items
from cards.window import earliest_date, japan_midnight, japan_today


@require_GET
def home(request):
    """``/``: the sign-in page for a visitor, マイページ for a member. A page that
    needs a sign-in sends the visitor here with ``?next=/that/page/``; the
    sign-in form carries it through WESTER ID and back (same-site paths only)."""
    if not request.user.is_authenticated:
        return render(request, "portal/sign_in.html", {"next_path": get_next_redirect_url(request)})
    if request.user.is_staff and not request.user.wester_id:
        return redirect("admin:index")  # staff never see the member site
    member = request.user
    faces = selectors.member_card_faces(member=member, today=japan_today())
    current_faces = [face for face in faces if face.is_current]
    return render(
        request,
        "cards/home.html",
        {
            "member": member,
            "current_faces": current_faces,
            "current_face_items": face_items(current_faces),
            "past_faces": [face for face in faces if not face.is_current],
            "points": selectors.member_points_balance(member),
        },
    )


def _member_card(request, public_id):
    card = selectors.member_card(request.user, public_id)
    if card is None:
        raise Http404("No such card of the member.")
    return card


def _card_page(request, card, form, status=200):
    pass_lines = selectors.card_pass_history(card, today=japan_today())
    refund = selectors.card_latest_refund(card)
    statement = refund_statements(request.user, [refund]).get(refund.pk) if refund else None
    return render(
        request,
        "cards/card_detail.html",
        {
            "card": card,
            "form": form,
            "rename_field": ShownField.of(form["nickname"]),
            "pass_lines": pass_lines,
            "pass_items": pass_items(pass_lines),
            "refund": refund,
            "statement": statement,
        },
        status=status,
    )


@login_required
@require_GET
def card_detail(request, public_id):
    card = _member_card(request, public_id)
    return _card_page(request, card, CardRenameForm(initial={"nickname": card.nickname}))


@login_required
@require_POST
def card_rename(request, public_id):
    card = _member_card(request, public_id)
    form = CardRenameForm(request.POST)
    if form.is_valid():
        try:
            services.card_rename(member=request.user, card=card, nickname=form.cleaned_data["nickname"])
        except InvalidNickname as error:
            form.add_error("nickname", nickname_error(error))
        except CardNotFound as error:
            raise Http404 from error
        except CardClosed as error:
            messages.error(request, str(error))
            return redirect("cards:card-detail", public_id=card.public_id)
        else:
            messages.success(request, _("ICOCAの名前を「%(name)s」に変更しました。") % {"name": card.nickname})
            return redirect("cards:card-detail", public_id=card.public_id)
    return _card_page(request, card, form, status=400)


@login_required
@require_GET
def lost_device(request):
    """Step 1: choose the lost or broken device."""
    devices = selectors.member_suspendable_devices(request.user)
    form = LostDeviceForm(initial={"device": request.GET.get("device")}, devices=devices)
    return render(request, "cards/lost_device.html", {"form": form, "devices": devices})


@login_required
@require_http_methods(["GET", "POST"])
def lost_device_confirm(request):
    """Step 2: the cards that will stop, and the button that stops them."""
    devices = selectors.member_suspendable_devices(request.user)
    form = LostDeviceForm(request.POST if request.method == "POST" else request.GET, devices=devices)
    if not form.is_valid():
        return render(request, "cards/lost_device.html", {"form": form, "devices": devices}, status=400)
    device = form.cleaned_data["device"]
    if request.method == "POST":
        try:
            cards = services.lost_device_report(member=request.user, device=device, actor=request.user)
        except NoCardToSuspend as error:
            messages.error(request, str(error))
            return redirect("cards:lost-device")
        messages.success(
            request,
            _("%(device)sのICOCA %(count)d枚の利用を停止し、再発行登録を受け付けました。")
            % {"device": Device(device).label, "count": len(cards)},
        )
        return redirect(reverse("cards:lost-device-done") + f"?device={device}")
    chosen = next(d for d in devices if d.device == device)
    return render(request, "cards/lost_device_confirm.html", {"form": form, "chosen": chosen})


@login_required
@require_GET
def lost_device_done(request):
    """What happens next, with the cards now waiting for their replacement."""
    device = request.GET.get("device", "")
    suspended = []
    if device in Device.values:
        suspended = list(
            selectors.member_cards(request.user).filter(device=device, status=CardStatus.SUSPENDED)
        )
    return render(
        request,
        "cards/lost_device_done.html",
        {"device_label": Device(device).label if device in Device.values else "", "cards": suspended},
    )


@login_required
@require_GET
def points(request):
    """``/points/``: the WESTER points balance and the ledger the card center sent, newest
    first, back to the first day of the month one year ago (the history's window)."""
    earliest = earliest_date(japan_today())
    after = request.GET.get("after", "")
    page = selectors.member_points_page(
        request.user, since=japan_midnight(earliest), after=after, size=selectors.POINTS_PAGE
    )
    if page.position_ignored:
        messages.warning(request, _("ページの指定を読み取れなかったため、最新の履歴から表示しています。"))
    return render(
        request,
        "cards/points.html",
        {
            "points": selectors.member_points_balance(request.user),
            "entries": page.entries,
            "line_items": points_items(page.entries),
            "next_after": page.next_after,
            "earliest": japan_date(earliest),
            "first_page": not after or page.position_ignored,
            "page_size": selectors.POINTS_PAGE,
        },
    )


def help_page(request):
    return render(request, "cards/help.html")
