"""The support center's admin site: staff accounts only, signed in through
allauth (rate limits, TOTP), and only once TOTP is set up."""

from __future__ import annotations

from functools import update_wrapper

from allauth.mfa.utils import is_mfa_enabled
from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


def staff_needs_mfa_setup(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_staff and not is_mfa_enabled(user))


class StaffAdminSite(admin.AdminSite):
    site_header = gettext_lazy("ICOCA会員メニュー サポートセンター")
    site_title = gettext_lazy("サポートセンター")
    index_title = gettext_lazy("サポートセンター")
    index_template = "admin/support_index.html"  # a member search box first, for those who may see members

    def register(self, model_or_iterable, admin_class=None, **options):
        """Every list page of this site, whoever registered it, counts at most
        ``BoundedCountPaginator.CAP`` rows and never the whole table."""
        super().register(model_or_iterable, admin_class, **options)
        models = [model_or_iterable] if isinstance(model_or_iterable, type) else model_or_iterable
        for model in models:
            model_admin = self._registry.get(model)  # a swapped model (auth.User) is not registered
            if model_admin is None:
                continue
            model_admin.paginator = BoundedCountPaginator
            model_admin.show_full_result_count = False

    # Models of other apps whose English names would show on these Japanese screens.
    MODEL_NAMES = {
        ("mfa", "authenticator"): gettext_lazy("二要素認証（認証アプリ・リカバリーコード）"),
        ("usersessions", "usersession"): gettext_lazy("ログイン中の端末"),
    }

    def _build_app_dict(self, request, label=None):
        app_dict = super()._build_app_dict(request, label)
        apps = {label: app_dict} if label and app_dict else (app_dict or {})
        for app in apps.values():
            for model in app.get("models", []):
                name = self.MODEL_NAMES.get((app["app_label"], model["object_name"].lower()))
                if name:
                    model["name"] = name
        return app_dict

    def autocomplete_view(self, request):
        """No screen here uses autocomplete fields: the JSON endpoint would be
        a member search outside the menu, so only operators keep it."""
        if not request.user.is_superuser:
            raise Http404
        return super().autocomplete_view(request)

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


class BoundedCountPaginator(Paginator):
    """The admin's paginator without an unbounded ``COUNT(*)``: it counts at
    most ``CAP`` rows (``SELECT COUNT(*) FROM (… LIMIT CAP)``), so a list of a
    table with millions of rows costs as much as its first pages. Past the
    cap the list shows ``CAP`` results and the last page is the cap's."""

    CAP = 1000

    @cached_property
    def count(self) -> int:
        object_list = self.object_list
        if hasattr(object_list, "query"):
            return object_list[: self.CAP].count()
        return min(len(object_list), self.CAP)
