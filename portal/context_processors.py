from django.conf import settings
from django.utils.translation import get_language

from portal.mail import operator_name


def site(request):
    from accounts.middleware import is_staff_page

    return {
        "site_name": settings.PORTAL_SITE_NAME,
        "operator_name": operator_name(get_language()),
        "staff_page": is_staff_page(request),  # the allauth layouts pick the staff layout
    }
