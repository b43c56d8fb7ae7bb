"""E-mail to a member: one way to write it, one way to send it once, one way to retry.

Every e-mail the portal sends a member goes through this module (the pass
reminders, the payment-card expiry reminders, the documents; add yours the same
way). Three pieces:

1. :func:`member_email_send` renders and sends one message::

       from portal import mail

       mail.member_email_send(
           member=member,
           template="pass_reminder",           # templates/email/pass_reminder.<ja|en>.txt
           context={"card_url": portal_url("cards:card-detail", card.public_id)},
           attachments=[mail.Attachment("receipt.pdf", data, "application/pdf")],  # optional
       )

   The message is written in the member's language (:func:`member_language`:
   English for a member who chose English, otherwise Japanese; pass
   ``language=`` only for a message that must match something already issued
   in another language, as a document's e-mail does). The subject is
   ``email/<template>_subject.<language>.txt`` (white space folded to one
   line), the body ``email/<template>.<language>.txt``; a template written with
   ``{% translate %}`` may be one file for both languages,
   ``email/<template>.txt`` (it is rendered with the language active). Every
   template gets, besides ``context``: ``member``, ``site_name`` (the portal's
   name in that language; never write it into a template), ``operator_name``
   (the company, in that language), ``base_url``
   (``PORTAL_BASE_URL``) and ``settings_url`` (the member's settings page, where
   e-mails are turned off). Build other links with ``accounts.links.portal_url``.
   It raises what the mail server raises: call it from a task.

2. :func:`send_once` makes the send happen once per row, however often beat or a
   replayed message runs it: one conditional UPDATE claims the row (a
   ``*_sent_at`` column from NULL to now, committed on its own, so call it
   outside ``transaction.atomic``); when sending fails the claim is given back
   and the error raised, so the task's retry sends it::

       def pass_reminder_send(*, commuter_pass_id):
           ...
           return mail.send_once(
               CommuterPass.objects.filter(pk=commuter_pass_id, card__member__email_pass_reminders=True),
               "reminder_sent_at",
               lambda: mail.member_email_send(member=..., template="pass_reminder", context=...),
           )

   A worker lost between the claim and the send leaves the row claimed: at most
   one e-mail, never two (docs/decisions.md).

3. :class:`EmailTask`, the base of every task that sends one e-mail: the
   ``mail`` queue (portal/schedule.py routes), ``acks_late`` with
   ``reject_on_worker_lost``, time limits, and retries of temporary errors
   (:data:`TEMPORARY_ERRORS`: the mail server and the network) with exponential
   backoff and a cap. The task takes ids and calls one service::

       @shared_task(base=mail.EmailTask)
       def pass_reminder_send(commuter_pass_id: int) -> bool:
           from cards import services
           return services.pass_reminder_send(commuter_pass_id=commuter_pass_id)

   When the retries run out the error is raised (the row stays unclaimed, and
   the next beat run sends it); a subclass that must record the failure instead
   overrides :meth:`EmailTask.give_up` (billing's document e-mail marks the
   document's e-mail failed there).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from smtplib import SMTPException

from celery import Task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import QuerySet
from django.template.loader import render_to_string, select_template
from django.utils import timezone, translation

from accounts.links import portal_url

logger = logging.getLogger(__name__)

#: Errors worth another try: the mail server (``SMTPException``: a 4xx answer, a
#: dropped connection) and the network or a file store (``OSError``: refused,
#: reset, timed out, a name that did not resolve).
TEMPORARY_ERRORS: tuple[type[BaseException], ...] = (SMTPException, OSError)

LANGUAGES = ("ja", "en")


@dataclass(frozen=True)
class Attachment:
    """A file sent with the message."""

    filename: str
    content: bytes
    mimetype: str


def member_language(member) -> str:
    """The language of what the portal writes to ``member``: ``"en"`` for a
    member who chose English, otherwise ``"ja"``."""
    return member.language if member.language in LANGUAGES else "ja"


def operator_name(language: str) -> str:
    """The company that runs the portal, as written in ``language``."""
    return settings.PORTAL_OPERATOR_NAME_EN if language == "en" else settings.PORTAL_OPERATOR_NAME


def member_email(
    *,
    member,
    template: str,
    context: dict[str, object] | None = None,
    language: str | None = None,
    attachments: Iterable[Attachment] = (),
) -> EmailMessage:
    """The message :func:`member_email_send` sends (see the module's docstring)."""
    language = language if language in LANGUAGES else member_language(member)
    with translation.override(language):
        full_context = {
            "member": member,
            "site_name": str(settings.PORTAL_SITE_NAME),
            "operator_name": operator_name(language),
            "base_url": settings.PORTAL_BASE_URL,
            "settings_url": portal_url("accounts:settings"),
            **(context or {}),
        }
        subject = _render(f"{template}_subject", language, full_context)
        body = _render(template, language, full_context)
    message = EmailMessage(
        subject=" ".join(subject.split()), body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[member.email]
    )
    for attachment in attachments:
        message.attach(attachment.filename, attachment.content, attachment.mimetype)
    return message


def _render(name: str, language: str, context: dict[str, object]) -> str:
    found = select_template([f"email/{name}.{language}.txt", f"email/{name}.txt"])
    return render_to_string(found.template.name, context)


def member_email_send(**message) -> None:
    """Render and send one e-mail to a member: the keywords of
    :func:`member_email` (``member``, ``template``, ``context``, ``language``,
    ``attachments``; see the module's docstring). Raises what the mail server
    raises."""
    member_email(**message).send()


def send_once(rows: QuerySet, field: str, send: Callable[[], object], **also: object) -> bool:
    """Call ``send`` only if this call claims the row: one conditional UPDATE
    sets ``field`` from NULL to now on ``rows`` (one row, with whatever else
    must still hold in its filter) together with ``also`` (e.g. an attempt
    counter: ``email_attempts=F("email_attempts") + 1``). Returns ``False``
    when there was nothing to claim (sent already, taken by another worker, no
    longer due). If ``send`` raises, the claim is given back (``field`` to NULL
    again, if it is still ours) and the error raised."""
    pks = list(rows.filter(**{f"{field}__isnull": True}).values_list("pk", flat=True)[:2])
    if len(pks) > 1:
        raise ValueError("send_once claims one row: filter the rows by their key")
    claimed_at = timezone.now()
    if not pks or not rows.filter(pk=pks[0], **{f"{field}__isnull": True}).update(**{field: claimed_at}, **also):
        return False  # sent already, taken by another worker, or no longer due
    try:
        send()
    except BaseException:
        rows.model.objects.filter(pk=pks[0], **{field: claimed_at}).update(**{field: None})
        raise
    return True


class EmailTask(Task):
    """The base of every task that sends one e-mail (see the module's
    docstring): acknowledged when done, retried with backoff when the mail
    server or the network fails, at most ``max_retries`` times."""

    acks_late = True
    reject_on_worker_lost = True
    time_limit = 120
    soft_time_limit = 90
    max_retries = 8
    #: The first retry after up to 30 s, then twice as long each time, at most 30 minutes.
    retry_backoff = 30
    retry_backoff_max = 1800
    #: Spread the retries (full jitter), so a mail server that comes back is not hit by all at once.
    retry_jitter = True

    def retries_allowed(self) -> int:
        return self.max_retries

    def backoff(self) -> int:
        return self.retry_backoff

    def __call__(self, *args, **kwargs):
        try:
            return super().__call__(*args, **kwargs)
        except TEMPORARY_ERRORS as error:
            retries = self.request.retries
            if retries >= self.retries_allowed():
                return self.give_up(error, *args, **kwargs)
            countdown = get_exponential_backoff_interval(
                factor=self.backoff(), retries=retries, maximum=self.retry_backoff_max, full_jitter=self.retry_jitter
            )
            logger.warning(
                "e-mail not sent, retrying: %s", type(error).__name__,
                extra={"task": self.name, "retries": retries, "countdown": countdown},
            )
            raise self.retry(exc=error, countdown=countdown, max_retries=None) from error

    def give_up(self, error: BaseException, *args, **kwargs):
        """The retries ran out: raise the error (override to record it instead)."""
        raise error
