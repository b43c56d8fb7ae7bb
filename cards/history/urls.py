"""The usage history pages (利用履歴) and the CSV export."""

urlpatterns: list = []
