"""Sending the security notices that ``accounts.services.security_notice_queue`` queued."""

from __future__ import annotations


def security_notice_send(*, notice_id: int) -> bool:
    """Send one security notice once (``portal.mail.send_once`` on
    ``sent_at``), in the member's language, with a link back to the portal and
    what to do if it was not them."""
    from django.conf import settings

    from accounts.links import portal_url
    from accounts.models import SecurityNotice
    from portal import mail

    due = SecurityNotice.objects.filter(pk=notice_id, member__is_active=True).exclude(member__email="")

    def send() -> None:
        notice = SecurityNotice.objects.select_related("member").get(pk=notice_id)
        language = mail.member_language(notice.member)
        device = ""
        if notice.detail.get("device"):
            from django.utils import translation

            from cards.models import Device

            with translation.override(language):
                device = str(Device(notice.detail["device"]).label) if notice.detail["device"] in Device.values else ""
        links = {
            "lost_device": portal_url("home"),
            "sessions_ended": portal_url("home"),
        }
        mail.member_email_send(
            member=notice.member,
            template="security_notice",
            context={
                "kind": notice.kind,
                "detail": notice.detail,
                "device": device,
                "at": notice.created_at,
                "link": links.get(notice.kind) or portal_url("payment_methods:payment-method-list"),
                "support_phone": settings.SUPPORT_CENTER_PHONE,
                "support_hours": settings.SUPPORT_CENTER_HOURS_EN if language == "en" else settings.SUPPORT_CENTER_HOURS,
            },
        )

    return mail.send_once(due, "sent_at", send)
