"""The member's own pages."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.forms import MemberSettingsForm
from accounts.services import member_settings_update


@login_required
@require_http_methods(["GET", "POST"])
def member_settings(request):
    """/settings/: e-mail preferences and language. Saving the language also
    sets the language cookie, so the next page is in that language."""
    member = request.user
    if request.method != "POST":
        return render(request, "accounts/settings.html", {"form": MemberSettingsForm(instance=member)})
    form = MemberSettingsForm(request.POST, instance=member)
    if not form.is_valid():
        member.refresh_from_db()  # the form wrote its values onto the instance
        return render(request, "accounts/settings.html", {"form": form}, status=400)
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
