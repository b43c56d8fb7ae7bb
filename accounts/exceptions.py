class PortalError(Exception):
    """A domain error: the message is for the person who asked."""


class InvalidWesterId(PortalError):
    pass


class MemberPasswordRefused(PortalError, ValueError):
    """A usable password for a member: WESTER ID is their only way in."""
