from django.conf import settings
from django.utils.translation import get_language

from portal.mail import operator_name


def site(request):
    return {"site_name": settings.PORTAL_SITE_NAME, "operator_name": operator_name(get_language())}
