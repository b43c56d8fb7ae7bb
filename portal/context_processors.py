from django.conf import settings
from django.utils.translation import get_language

from portal.mail import operator_name


def site(request):
    from accounts.middleware import is_staff_page

    return {
        "site_name": settings.PORTAL_SITE_NAME,
        "operator_name": operator_name(get_language()),
        "support_center": support_center(get_language()),
        "staff_page": is_staff_page(request),  # the allauth layouts pick the staff layout
    }


def support_center(language: str | None) -> dict[str, str]:
    """モバイルICOCAサポートセンター's phone number (with its ``tel:`` link) and hours
    in ``language``, from the settings."""
    phone = settings.SUPPORT_CENTER_PHONE
    english = (language or "").startswith("en")
    return {
        "phone": phone,
        "tel": "tel:" + phone.replace("-", ""),
        "hours": settings.SUPPORT_CENTER_HOURS_EN if english else settings.SUPPORT_CENTER_HOURS,
    }
