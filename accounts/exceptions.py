class PortalError(Exception):
    """A domain error: the message is for the person who asked."""


class InvalidWesterId(PortalError):
    pass
