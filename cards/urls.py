from django.urls import path

from cards import views
from cards.history.urls import urlpatterns as history_urlpatterns

app_name = "cards"

urlpatterns = [
    path("cards/<uuid:public_id>/", views.card_detail, name="card-detail"),
    path("cards/<uuid:public_id>/rename/", views.card_rename, name="card-rename"),
    path("lost-device/", views.lost_device, name="lost-device"),
    path("lost-device/confirm/", views.lost_device_confirm, name="lost-device-confirm"),
    path("lost-device/done/", views.lost_device_done, name="lost-device-done"),
    path("points/", views.points, name="points"),
    path("help/", views.help_page, name="help"),
    *history_urlpatterns,
]
