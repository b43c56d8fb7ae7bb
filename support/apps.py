from django.apps import AppConfig


class SupportConfig(AppConfig):
    """The support center's screens in the admin: member search, the member
    page, actions on a member's behalf, the feed lookup, and the two roles."""

    name = "support"
    verbose_name = "サポートセンター"
