"""The sandbox payment provider: a separate little site at ``/sandbox-pay/``
(its own urls, templates, look and store) that the portal talks to only
through the ``PaymentProvider`` interface, as it would to a real gateway."""

from billing.payment_methods.providers.sandbox.provider import SandboxProvider

__all__ = ["SandboxProvider"]
