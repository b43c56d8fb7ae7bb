"""The support center's admin site: staff accounts only, signed in through
allauth (rate limits, TOTP), and only once TOTP is set up."""

from __future__ import annotations

from functools import update_wrapper

from allauth.mfa.utils import is_mfa_enabled
from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


def staff_needs_mfa_setup(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_staff and not is_mfa_enabled(user))


class StaffAdminSite(admin.AdminSite):
    site_header = gettext_lazy("ICOCA会員メニュー サポートセンター")
    site_title = gettext_lazy("サポートセンター")
    index_title = gettext_lazy("サポートセンター")

    def has_permission(self, request) -> bool:
        return super().has_permission(request) and is_mfa_enabled(request.user)

    def login(self, request, extra_context=None):
        if request.user.is_authenticated and not request.user.is_staff:
            raise Http404  # members never learn that the admin exists
        next_url = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index")
        return HttpResponseRedirect(
            reverse("account_login") + "?" + urlencode({REDIRECT_FIELD_NAME: next_url})
        )

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        def wrapper(request, *args, **kwargs):
            user = request.user
            if user.is_authenticated and not user.is_staff:
                raise Http404
            if staff_needs_mfa_setup(user) and view.__name__ != "logout":
                messages.warning(
                    request,
                    _("サポートセンターの画面を使う前に、二要素認証（TOTP）を設定してください。"),
                )
                return HttpResponseRedirect(reverse("mfa_activate_totp"))
            return inner(request, *args, **kwargs)

        return update_wrapper(wrapper, inner)
