"""決済用カード (/payment-methods/), included from portal/urls.py: URL namespace ``payment_methods``."""

from django.urls import path

from billing.payment_methods import views

app_name = "payment_methods"

urlpatterns = [
    path("", views.payment_method_list, name="payment-method-list"),
    path("register/", views.payment_method_register, name="payment-method-register"),
    path("return/", views.payment_method_return, name="payment-method-return"),
    path(
        "registrations/<uuid:public_id>/", views.payment_registration_detail, name="payment-registration-detail"
    ),
    path("<uuid:public_id>/default/", views.payment_method_set_default, name="payment-method-set-default"),
    path("<uuid:public_id>/remove/", views.payment_method_remove, name="payment-method-remove"),
]
