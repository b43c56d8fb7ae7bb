"""Absolute links to the portal, for e-mails (``PORTAL_BASE_URL``)."""

from django.conf import settings
from django.urls import reverse


def portal_url(name: str, *args: object) -> str:
    """``https://portal.example.jp/settings/`` for the URL named ``name``."""
    return settings.PORTAL_BASE_URL + reverse(name, args=args)
