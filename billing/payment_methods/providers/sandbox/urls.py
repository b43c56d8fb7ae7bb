from django.urls import path

from billing.payment_methods.providers.sandbox import views

app_name = "sandbox_pay"

urlpatterns = [
    path("pay/<slug:session_id>/", views.entry, name="entry"),
    path("pay/<slug:session_id>/challenge/", views.challenge, name="challenge"),
    path("pay/<slug:session_id>/brand/", views.brand, name="brand"),
    path("pay/<slug:session_id>/cancel/", views.cancel, name="cancel"),
]
