"""The billing app's tables, gathered from its two capabilities (app label ``billing``)."""

from billing.documents.models import (  # noqa: F401
    Document,
    DocumentCounter,
    DocumentKind,
    DocumentLanguage,
    DocumentOrigin,
    DocumentStatus,
    document_file_name,
)
from billing.payment_methods.models import (  # noqa: F401
    Brand,
    ExpiryReminder,
    Funding,
    PaymentMethod,
    PaymentRegistration,
    RegistrationFailure,
    RegistrationStatus,
)
