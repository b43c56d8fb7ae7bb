"""WESTER ID is a member's only way in: allauth's password, e-mail and sign-up
pages answer 404 and do nothing for members and anonymous visitors; staff keep
their user name, password and TOTP."""

from __future__ import annotations

import importlib

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.core import mail

from accounts.exceptions import MemberPasswordRefused
from accounts.models import Member
from accounts.tests.factories import MemberFactory, StaffFactory

pytestmark = pytest.mark.django_db

STAFF_PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a brand new pass phrase 77"


@pytest.fixture
def member():
    return MemberFactory(email="hanako@example.jp")


def as_(client, who: str, member):
    """The client as an anonymous visitor, the member, or a staff account."""
    if who == "member":
        client.force_login(member)
    elif who == "staff":
        client.force_login(StaffFactory(username="agent-sato", email="sato@support.example.jp"))
    return client


def reset_key_path(user) -> str:
    return f"/accounts/password/reset/key/{user_pk_to_url_str(user)}-{default_token_generator.make_token(user)}/"


# What a visitor could send to each page: every answer is 404, whoever asks.
CLOSED_TO_EVERYONE = [
    ("/accounts/signup/", {"username": "new-person", "password1": NEW_PASSWORD}),
    ("/accounts/password/reset/", {"email": "hanako@example.jp"}),
    ("/accounts/password/reset/done/", {}),
    ("/accounts/password/reset/key/done/", {}),
    ("/accounts/confirm-email/", {}),
    ("/accounts/confirm-email/some-key/", {}),
    ("/accounts/login/code/confirm/", {"code": "ABC123"}),
    ("/accounts/3rdparty/signup/", {"email": "x@example.jp"}),
]


@pytest.mark.parametrize("who", ["anonymous", "member", "staff"])
@pytest.mark.parametrize(("path", "data"), CLOSED_TO_EVERYONE)
def test_sign_up_password_reset_and_e_mail_confirmation_are_404_for_everyone(client, member, who, path, data):
    as_(client, who, member)
    before = list(Member.objects.order_by("pk").values_list("pk", "password", "email"))

    assert client.get(path).status_code == 404
    assert client.post(path, data).status_code == 404

    assert list(Member.objects.order_by("pk").values_list("pk", "password", "email")) == before
    assert mail.outbox == []


@pytest.mark.parametrize("who", ["anonymous", "member", "staff"])
def test_a_genuine_password_reset_link_is_404_and_sets_nothing(client, member, who):
    """The link allauth would have e-mailed, with a key that is valid for the account."""
    staff = StaffFactory(username="agent-reset")
    as_(client, who, member)

    for user in (member, staff):
        path = reset_key_path(user)
        assert client.get(path).status_code == 404
        response = client.post(path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
        assert response.status_code == 404
        user.refresh_from_db()
        assert not user.check_password(NEW_PASSWORD)
    assert not member.has_usable_password()
    assert staff.check_password(STAFF_PASSWORD)


def test_the_mailbox_alone_gets_no_reset_e_mail_and_no_user_name(client, member):
    """The attack of issue 11: a reset e-mail carried the member's internal user
    name, and the password it set then signed in. No e-mail leaves at all now."""
    EmailAddress.objects.create(user=member, email=member.email, primary=True, verified=True)

    response = client.post("/accounts/password/reset/", {"email": member.email})

    assert response.status_code == 404
    assert mail.outbox == []
    login = client.post("/accounts/login/", {"login": member.username, "password": NEW_PASSWORD})
    assert login.status_code == 200 and "_auth_user_id" not in client.session


STAFF_ONLY = [
    ("/accounts/password/set/", {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}),
    ("/accounts/password/change/", {"oldpassword": "", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}),
    ("/accounts/email/", {"action_add": "", "email": "attacker@example.net"}),
    ("/accounts/reauthenticate/", {"password": NEW_PASSWORD}),
    ("/accounts/3rdparty/", {"account": "1"}),
    ("/accounts/2fa/", {}),
    ("/accounts/2fa/totp/activate/", {"code": "123456"}),
]


@pytest.mark.parametrize("who", ["anonymous", "member"])
@pytest.mark.parametrize(("path", "data"), STAFF_ONLY)
def test_password_e_mail_and_mfa_pages_are_404_for_members_and_visitors(client, member, who, path, data):
    as_(client, who, member)

    assert client.get(path).status_code == 404
    assert client.post(path, data).status_code == 404

    member.refresh_from_db()
    assert not member.has_usable_password()
    assert member.password.startswith("!")
    assert member.email == "hanako@example.jp"
    assert not EmailAddress.objects.filter(email="attacker@example.net").exists()


@pytest.mark.parametrize(("path", "status"), [
    ("/accounts/password/change/", 200),
    ("/accounts/password/set/", 302),  # allauth sends a staff member with a password to "change"
    ("/accounts/email/", 200),
    ("/accounts/2fa/", 200),
])
def test_staff_keep_their_password_e_mail_and_mfa_pages(client, member, path, status):
    as_(client, "staff", member)
    assert client.get(path).status_code == status


def test_staff_change_their_own_password(client, member):
    as_(client, "staff", member)

    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": STAFF_PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert Member.objects.get(username="agent-sato").check_password(NEW_PASSWORD)


def test_the_staff_sign_in_form_is_for_visitors_and_staff_not_for_a_signed_in_member(client, member):
    assert client.get("/accounts/login/").status_code == 200
    client.force_login(member)
    assert client.get("/accounts/login/").status_code == 404
    assert client.post("/accounts/login/", {"login": "agent-sato", "password": STAFF_PASSWORD}).status_code == 404


def test_a_member_with_a_password_written_into_the_database_still_cannot_sign_in_with_it(client, member):
    Member.objects.filter(pk=member.pk).update(password=make_password(NEW_PASSWORD))
    member.refresh_from_db()

    response = client.post("/accounts/login/", {"login": member.username, "password": NEW_PASSWORD})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert not member.check_password(NEW_PASSWORD)
    assert not member.has_usable_password()


def test_an_account_that_is_not_staff_cannot_sign_in_with_a_password(client):
    former = StaffFactory(username="former-agent")
    Member.objects.filter(pk=former.pk).update(is_staff=False)

    client.post("/accounts/login/", {"login": "former-agent", "password": STAFF_PASSWORD})

    assert "_auth_user_id" not in client.session


def test_the_model_refuses_a_usable_password_for_a_member(member):
    with pytest.raises(MemberPasswordRefused, match="WESTER ID"):
        member.set_password(NEW_PASSWORD)
    member.set_password(None)  # unusable stays allowed
    member.save()
    member.refresh_from_db()
    assert not member.has_usable_password()


def test_the_data_migration_makes_every_member_password_unusable():
    migration = importlib.import_module("accounts.migrations.0004_member_passwords_unusable")
    members = [MemberFactory() for _ in range(3)]
    Member.objects.filter(pk__in=[members[0].pk, members[1].pk]).update(password=make_password(NEW_PASSWORD))
    Member.objects.filter(pk=members[2].pk).update(password="")
    untouched = MemberFactory()
    staff = StaffFactory()

    migration.make_member_passwords_unusable(apps, None)

    passwords = dict(Member.objects.values_list("pk", "password"))
    for member in members:
        assert passwords[member.pk].startswith("!") and len(passwords[member.pk]) > 1
    assert passwords[members[0].pk] != passwords[members[1].pk]
    assert passwords[untouched.pk] == untouched.password
    assert Member.objects.get(pk=staff.pk).check_password(STAFF_PASSWORD)


def test_a_member_cannot_change_where_their_documents_are_e_mailed(client, member):
    """The address is the one WESTER ID sent at sign-in (refreshed each time:
    test_sign_in.py); the settings page ignores an e-mail field."""
    client.force_login(member)

    client.post(
        "/settings/",
        {"email": "attacker@example.net", "language": "ja", "email_pass_reminders": "on"},
    )

    member.refresh_from_db()
    assert member.email == "hanako@example.jp"
