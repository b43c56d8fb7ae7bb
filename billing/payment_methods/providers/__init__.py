"""Payment providers: the interface in ``base``, the embedded sandbox in
``sandbox``. ``get_provider()`` returns the one ``PAYMENT_PROVIDER`` names."""

from billing.payment_methods.providers.base import get_provider

__all__ = ["get_provider"]
