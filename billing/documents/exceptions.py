"""What a document request or action refuses, with a message for the member."""

from __future__ import annotations

from accounts.exceptions import PortalError


class DocumentRequestInvalid(PortalError):
    """The request cannot be made as asked; the message says why."""


class DocumentNotReady(PortalError):
    pass


class NoCardPayments(DocumentRequestInvalid):
    """A receipt asked for a period with no payment by registered card: nothing to issue."""
