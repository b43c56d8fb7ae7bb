from django.urls import path

from cards import views

app_name = "cards"

urlpatterns = [
    path("help/", views.help_page, name="help"),
]
