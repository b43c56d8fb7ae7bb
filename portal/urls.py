from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from portal import views

urlpatterns = [
    path("", include("cards.urls_root")),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("cards.urls")),
    path("", include("accounts.urls")),
    path("payment-methods/", include("billing.payment_methods.urls")),
    path("", include("billing.documents.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]
if settings.SANDBOX_PAY_ENABLED:
    urlpatterns.append(path("sandbox-pay/", include("billing.payment_methods.providers.sandbox.urls")))
if settings.LOAD_BASELINE_VIEW:
    urlpatterns.append(path("load/baseline", views.load_baseline, name="load-baseline"))
