from django.utils.functional import lazy


def _interpolate(message, params) -> str:
    return str(message) % params


#: ``lazy_message(gettext_lazy("…%(name)s…"), {"name": …})``: a message with values that is
#: translated when it is shown (``str()``), in the language active then, so a refusal raised
#: anywhere reads in the language of the page (or e-mail) that shows it.
lazy_message = lazy(_interpolate, str)


class PortalError(Exception):
    """A domain error: the message is for the person who asked. Give it a
    ``gettext_lazy`` message (or a ``lazy_message``): ``str(error)`` is then in
    the language of whoever shows it."""


class InvalidWesterId(PortalError):
    pass


class MemberPasswordRefused(PortalError, ValueError):
    """A usable password for a member: WESTER ID is their only way in."""
