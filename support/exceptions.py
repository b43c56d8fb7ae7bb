from accounts.exceptions import PortalError


class SupportActionRefused(PortalError):
    """An action on a member's behalf that cannot be done now (the message says why)."""
