"""The member's own pages."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import CardNameForm, MemberSettingsForm
from accounts.services import member_card_name_set, member_settings_update


def _settings_page(request, *, form=None, card_name_form=None, status: int = 200):
    from billing.payment_methods.payment_cards import WESTER_ID, member_romaji_name

    member = request.user
    romaji_name, source = member_romaji_name(member)
    context = {
        "form": form or MemberSettingsForm(instance=member),
        "romaji_name": romaji_name,
        "romaji_from_wester_id": source == WESTER_ID,
        "card_name_form": card_name_form or CardNameForm(initial={"card_name": member.card_name}),
    }
    return render(request, "accounts/settings.html", context, status=status)


@login_required
@require_POST
def member_card_name(request):
    """/settings/card-name/: change the name as printed on the member's cards
    (audited). A member whose WESTER ID sends a romaji name has nothing to
    change here: that name is the one cards are compared with."""
    form = CardNameForm(request.POST)
    if not form.is_valid():
        return _settings_page(request, card_name_form=form, status=400)
    member_card_name_set(member=request.user, card_name=form.cleaned_data["card_name"])
    messages.success(request, _("カードの名義（ローマ字）を保存しました。"))
    return redirect("accounts:settings")


@login_required
@require_http_methods(["GET", "POST"])
def member_settings(request):
    """/settings/: e-mail preferences and language. Saving the language also
    sets the language cookie, so the next page is in that language."""
    member = request.user
    if request.method != "POST":
        return _settings_page(request, form=MemberSettingsForm(instance=member))
    form = MemberSettingsForm(request.POST, instance=member)
    if not form.is_valid():
        member.refresh_from_db()  # the form wrote its values onto the instance
        return _settings_page(request, form=form, status=400)
    member = member_settings_update(member=member, **form.cleaned_data)
    with translation.override(member.language):
        messages.success(request, _("設定を保存しました。"))
    response = redirect("accounts:settings")
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        member.language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response
