"""The billing app's admin screens, registered by its two capabilities."""

from billing.documents import admin as documents_admin  # noqa: F401
from billing.payment_methods import admin as payment_methods_admin  # noqa: F401
