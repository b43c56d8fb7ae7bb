from django.apps import AppConfig


class SandboxPayConfig(AppConfig):
    """Registered only for its templates and static files: the sandbox keeps
    its data in its own store (``store.py``), not in the portal's database."""

    name = "billing.payment_methods.providers.sandbox"
    label = "sandbox_pay"
    verbose_name = "Sandbox Pay"
    default_auto_field = "django.db.models.BigAutoField"
