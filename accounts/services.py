"""State changes for members."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.exceptions import InvalidWesterId
from accounts.models import AuditEvent, Language, Member

MAX_WESTER_ID_LENGTH = 255


def _check_wester_id(wester_id: str) -> None:
    if not isinstance(wester_id, str) or not 1 <= len(wester_id) <= MAX_WESTER_ID_LENGTH:
        raise InvalidWesterId("WESTER ID must be 1 to 255 characters")


def _new_member(wester_id: str) -> Member:
    member = Member(wester_id=wester_id, username=f"member-{uuid.uuid4().hex}")
    member.set_unusable_password()
    return member


@transaction.atomic
def member_get_or_create(*, wester_id: str) -> tuple[Member, bool]:
    """The member for a WESTER ID, created when the card center knows them
    before they have ever signed in."""
    _check_wester_id(wester_id)
    member = Member.objects.filter(wester_id=wester_id).first()
    if member is not None:
        return member, False
    member = _new_member(wester_id)
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError:  # created meanwhile by another process
        return Member.objects.get(wester_id=wester_id), False
    return member, True


def members_get_or_create(*, wester_ids: set[str]) -> dict[str, Member]:
    """``member_get_or_create`` for many WESTER IDs at once (a card center file of new cards):
    one insert for the new members, one query for all; WESTER ID → member."""
    for wester_id in wester_ids:
        _check_wester_id(wester_id)
    Member.objects.bulk_create([_new_member(wester_id) for wester_id in sorted(wester_ids)], ignore_conflicts=True)
    return {member.wester_id: member for member in Member.objects.filter(wester_id__in=wester_ids)}


def _claim(claims: Mapping[str, object], key: str, limit: int) -> str:
    value = claims.get(key)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _sign_in_changes(claims: Mapping[str, object], device: str, now) -> dict[str, object]:
    """The member's columns a sign-in sets: the name and e-mail the provider sent (a claim
    left out or empty keeps what is stored) and this sign-in's time and device."""
    changes: dict[str, object] = {"last_signed_in_at": now, "last_sign_in_device": device[:60]}
    name = _claim(claims, "name", 200)
    family = _claim(claims, "family_name", 150)
    given = _claim(claims, "given_name", 150)
    email = _claim(claims, "email", 254)
    if name or family or given:
        changes.update(name=name or " ".join(p for p in (family, given) if p), last_name=family, first_name=given)
    if email:
        changes["email"] = email
    return changes


def member_sign_in(
    *, wester_id: str, claims: Mapping[str, object], device: str = "", member: Member | None = None
) -> Member:
    """Find (or create) the member for a WESTER ID sign-in and refresh their
    name and e-mail from the provider's claims. The sign-in before this one (time and
    ``device``, accounts/devices.py) becomes the previous one that マイページ shows.

    One ``UPDATE`` for a member who exists: the previous sign-in takes the last one's values
    in the same statement (``F``), so two sign-ins at once cannot both keep the same previous
    one, with no lock and no transaction around a single statement. ``member``: the member
    as the sign-in already read them (allauth's look-up of the WESTER ID account); it is
    returned with the new values instead of being read again."""
    _check_wester_id(wester_id)
    changes = _sign_in_changes(claims, device, timezone.now())
    rotate = {"previous_signed_in_at": F("last_signed_in_at"), "previous_sign_in_device": F("last_sign_in_device")}
    if not Member.objects.filter(wester_id=wester_id).update(**rotate, **changes):
        member_get_or_create(wester_id=wester_id)  # a first sign-in, or a member created meanwhile
        Member.objects.filter(wester_id=wester_id).update(**rotate, **changes)
        member = None
    if member is None or member.pk is None or member.wester_id != wester_id:
        return Member.objects.get(wester_id=wester_id)
    member.previous_signed_in_at, member.previous_sign_in_device = member.last_signed_in_at, member.last_sign_in_device
    for column, value in changes.items():
        setattr(member, column, value)
    return member


@transaction.atomic
def staff_create(
    *, username: str, password: str, email: str = "", superuser: bool = False, group: str | None = None
) -> Member:
    """A support-center account: a password now, TOTP at the first sign-in;
    ``group`` is its role's group (support/roles.py), which must exist."""
    username = (username or "").strip()
    member = Member(username=username, email=(email or "").strip(), is_staff=True, is_superuser=superuser)
    errors: list[str] = []
    try:
        Member._meta.get_field("username").run_validators(username)
        if not username:
            raise ValidationError("ユーザー名を入力してください。")
        if username.startswith("member-"):
            raise ValidationError("「member-」で始まるユーザー名は会員用のため使えません。")
    except ValidationError as error:
        errors += error.messages
    if Member.objects.filter(username__iexact=username).exists():
        errors.append(f"ユーザー名「{username}」はすでに使われています。")
    if member.email:
        try:
            validate_email(member.email)
        except ValidationError as error:
            errors += error.messages
    try:
        validate_password(password, member)
    except ValidationError as error:
        errors += error.messages
    role_group = None
    if group:
        from django.contrib.auth.models import Group

        role_group = Group.objects.filter(name=group).first()
        if role_group is None:
            errors.append(f"グループ「{group}」がありません（manage.py migrate を実行してください）。")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        member.set_password(password)
        member.save()
        if role_group is not None:
            member.groups.add(role_group)
    return member


@transaction.atomic
def staff_password_reset(*, username: str, password: str) -> Member:
    """An operator gives a staff account a new password (a staff password is
    never reset by an e-mail link). The account's sessions end with the old
    password; its TOTP stays. A member account is refused: WESTER ID is its
    only way in."""
    username = (username or "").strip()
    staff = Member.objects.select_for_update().filter(username__iexact=username).first() if username else None
    if staff is None:
        raise ValidationError(f"ユーザー名「{username}」のアカウントはありません。")
    if staff.is_member:
        raise ValidationError(
            f"「{staff.username}」は会員のアカウントです。会員はWESTER IDでログインするため、パスワードは設定できません。"
        )
    if not staff.is_staff:
        raise ValidationError(f"「{staff.username}」はスタッフのアカウントではありません。")
    validate_password(password, staff)
    staff.set_password(password)
    staff.save(update_fields=["password"])
    audit_record(actor=None, member=staff, action="staff.password_reset")
    return staff


# Keys that name a secret: an audit entry refuses them, whatever the caller.
_SECRET_DETAIL_KEYS = frozenset(
    {"number", "card_number", "pan", "cvc", "cvv", "security_code", "token", "secret", "password", "icoca_number"}
)


def _check_audit_detail(value: object) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if str(key).lower() in _SECRET_DETAIL_KEYS:
                raise ValueError(f"an audit entry may not hold {key!r}")
            _check_audit_detail(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _check_audit_detail(item)


def audit_record(
    *, actor: Member | None, member: Member, action: str, detail: Mapping[str, object] | None = None, reason: str = ""
) -> AuditEvent:
    """Add one line to the member's audit trail. ``actor`` is who acted (the
    member, a staff account, or None for the system); ``detail`` holds ids and
    outcomes, never a secret (keys such as ``token`` or ``number`` are refused)."""
    detail = dict(detail or {})
    _check_audit_detail(detail)
    return AuditEvent.objects.create(actor=actor, member=member, action=action, detail=detail, reason=reason)


@transaction.atomic
def member_card_name_set(*, member: Member, card_name: str, actor: Member | None = None) -> Member:
    """Store the name as printed on the member's payment cards (the holder
    name a card must carry when WESTER ID sends no romaji name), cleaned by
    ``billing.payment_methods.payment_cards.card_name_clean`` (which raises
    ``CardNameInvalid``). Each change is in the audit trail."""
    from billing.payment_methods.payment_cards import card_name_clean

    name = card_name_clean(card_name)
    locked = Member.objects.select_for_update().get(pk=member.pk)
    if locked.card_name != name:
        audit_record(
            actor=actor or member,
            member=locked,
            action="member.card_name_set",
            detail={"before": locked.card_name, "after": name},
        )
        locked.card_name = name
        locked.save(update_fields=["card_name"])
    member.card_name = name
    return member


@transaction.atomic
def member_settings_update(
    *, member: Member, email_pass_reminders: bool, email_monthly_statement: bool, language: str
) -> Member:
    """Store the member's e-mail preferences and display language."""
    if language not in Language.values:
        raise ValueError(f"unknown language {language!r}")
    member.email_pass_reminders = bool(email_pass_reminders)
    member.email_monthly_statement = bool(email_monthly_statement)
    member.language = language
    member.save(update_fields=["email_pass_reminders", "email_monthly_statement", "language"])
    return member


def security_notice_queue(*, member: Member, kind: str, detail: Mapping[str, object] | None = None) -> None:
    """Confirm a security-relevant change by e-mail (a lost device reported, a
    payment card registered, removed or made the default, all sessions ended):
    one ``SecurityNotice`` row, its e-mail queued after the caller's
    transaction commits (nothing is sent for a change rolled back). A member
    without an e-mail address gets no row."""
    from accounts.models import SecurityNotice, SecurityNoticeKind
    if not member.email:
        return
    detail = dict(detail or {})
    _check_audit_detail(detail)
    notice = SecurityNotice.objects.create(member=member, kind=SecurityNoticeKind(kind), detail=detail)
    from portal import queue

    queue.task_send_on_commit("accounts.tasks.security_notice_send", notice.pk)


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
