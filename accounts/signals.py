from allauth.account.signals import user_logged_in as allauth_user_logged_in
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from accounts.sessions import session_mark_signed_in, user_session_record


@receiver(user_logged_in)
def _start_session_clock(sender, request, user, **kwargs):
    session_mark_signed_in(request, user)


@receiver(allauth_user_logged_in)
def _record_user_session(sender, request, user, **kwargs):
    user_session_record(request, user)
