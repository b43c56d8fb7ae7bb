"""Domain errors of the cards app: the message is for the person who asked."""

from __future__ import annotations

from accounts.exceptions import PortalError


class CardNotFound(PortalError):
    """No such card among the member's own (views answer 404)."""


class NoCardToSuspend(PortalError):
    """A lost-device report for a device with no active or deposited card."""


class CardClosed(PortalError):
    """A refunded card: closed for good, it is not renamed any more."""
