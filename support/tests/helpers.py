"""Staff accounts in each role, signed in with TOTP, and a member with a bit
of everything, for the support center's tests."""

from __future__ import annotations

from datetime import timedelta

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.apps import apps as django_apps
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.tests.factories import MemberFactory, StaffFactory
from billing.models import Document, DocumentKind, DocumentStatus
from billing.tests.factories import PaymentMethodFactory
from cards.models import Device
from cards.tests.factories import CardFactory, CommuterPassFactory, UsageRecordFactory
from support import roles


def staff_in(role: str | None, *, superuser: bool = False, username: str | None = None, secret: str | None = None):
    """A staff account with TOTP set up, in ``role`` (a group name) or none."""
    kwargs = {"username": username} if username else {}
    staff = StaffFactory(is_superuser=superuser, **kwargs)
    if role:
        if not Group.objects.filter(name=role).exists():  # a transactional test flushed what the migration made
            roles.groups_sync(django_apps)
        staff.groups.add(Group.objects.get(name=role))
    TOTP.activate(staff, secret or generate_totp_secret())
    return staff


def agent(**kwargs):
    return staff_in(roles.AGENT, **kwargs)


def supervisor(**kwargs):
    return staff_in(roles.SUPERVISOR, **kwargs)


def document(member, *, number: str, status=DocumentStatus.READY, emailed=True, **extra) -> Document:
    now = timezone.now()
    ready = status == DocumentStatus.READY
    row = Document(
        member=member, kind=DocumentKind.RECEIPT, number=number, language="ja",
        period_start=(now - timedelta(days=40)).date(), period_end=(now - timedelta(days=10)).date(),
        content={}, total_amount=3000, issuer_name="西日本旅客鉄道株式会社", issuer_registration_number="T1234567890123",
        addressee_name=member.display_name, status=status, first_issued_at=now if ready else None,
        rendered_at=now if ready else None, sha256="0" * 64 if ready else "", emailed_at=now if ready and emailed else None,
        **extra,
    )
    if ready:
        row.file.save(f"{number}.pdf", ContentFile(b"%PDF-1.7 test"), save=False)
    row.save()
    return row


def member_with_everything(*, wester_id: str = "sub-hanako", name: str = "山田 花子", email: str = "hanako@example.jp",
                           number: str = "JW7A0000000123456"):
    member = MemberFactory(wester_id=wester_id, name=name, email=email, last_name="YAMADA", first_name="HANAKO")
    phone = CardFactory(member=member, icoca_number=number, nickname="仕事用", device=Device.IPHONE, balance=4210)
    watch = CardFactory(member=member, nickname="時計", device=Device.APPLE_WATCH, balance=800)
    CommuterPassFactory(card=phone)
    for hours in range(1, 26):
        UsageRecordFactory(card=phone, occurred_at=timezone.now() - timedelta(hours=hours), merchant="")
    PaymentMethodFactory(member=member, last4="4242", is_default=True)
    document(member, number=f"R-202611-{member.pk:06d}")
    return member, phone, watch
