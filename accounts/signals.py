from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from accounts.sessions import session_mark_signed_in


@receiver(user_logged_in)
def _start_session_clock(sender, request, user, **kwargs):
    session_mark_signed_in(request, user)
