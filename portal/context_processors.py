from django.conf import settings
from django.utils.translation import get_language


def site(request):
    return {
        "site_name": settings.PORTAL_SITE_NAME,
        "operator_name": (
            settings.PORTAL_OPERATOR_NAME_EN if get_language() == "en" else settings.PORTAL_OPERATOR_NAME
        ),
    }
