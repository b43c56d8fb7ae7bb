"""Support-center screens for payment methods: read only. The provider's
token is never shown; staff see the brand, last four digits and expiry."""

from django.contrib import admin

from accounts.admin import ReadOnlyAdmin
from billing.payment_methods.models import ExpiryReminder, PaymentMethod, PaymentRegistration


@admin.register(PaymentMethod)
class PaymentMethodAdmin(ReadOnlyAdmin):
    list_display = ("label", "member", "funding", "expiry_display", "is_default", "created_at", "removed_at")
    list_filter = ("brand", "funding", "is_default")
    search_fields = ("member__wester_id", "last4")
    list_select_related = ("member",)
    fields = (
        "public_id", "member", "provider", "brand", "last4", "exp_month", "exp_year", "funding",
        "holder_name", "is_default", "created_at", "removed_at",
    )
    readonly_fields = fields


@admin.register(PaymentRegistration)
class PaymentRegistrationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "member", "status", "failure_code", "three_ds", "brand", "last4", "funding")
    list_filter = ("status", "failure_code", "three_ds")
    search_fields = ("member__wester_id", "public_id")
    list_select_related = ("member",)
    date_hierarchy = "created_at"
    fields = (
        "public_id", "member", "provider", "status", "failure_code", "three_ds", "brand", "last4", "funding",
        "payment_method", "created_at", "expires_at", "completed_at",
    )
    readonly_fields = fields


@admin.register(ExpiryReminder)
class ExpiryReminderAdmin(ReadOnlyAdmin):
    list_display = ("payment_method", "expires_on", "created_at", "sent_at")
    list_select_related = ("payment_method",)
    fields = ("payment_method", "expires_on", "created_at", "sent_at")
    readonly_fields = fields
