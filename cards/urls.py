from django.urls import path

from cards import views
from cards.history.urls import urlpatterns as history_urlpatterns

app_name = "cards"

urlpatterns = [
    path("help/", views.help_page, name="help"),
    *history_urlpatterns,
]
