"""The usage history pages (利用履歴) and the CSV export."""

from django.urls import path

from cards.history import views

urlpatterns = [
    path("history/", views.history_list, name="history"),
    path("history/export.csv", views.history_export, name="history-export"),
]
