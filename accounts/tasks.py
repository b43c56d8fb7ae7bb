"""Celery tasks of accounts: take ids, call one service."""

from celery import shared_task

from portal import mail


@shared_task(base=mail.EmailTask)
def security_notice_send(notice_id: int) -> bool:
    from accounts import services

    return services.security_notice_send(notice_id=notice_id)
