import io

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Member
from accounts.tests.factories import StaffFactory

pytestmark = pytest.mark.django_db
GOOD = "a long enough pass phrase 42\n"


def create_staff(*args, password=GOOD, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(password))
    out = io.StringIO()
    call_command("create_staff", *args, "--password-stdin", stdout=out)
    return out.getvalue()


def test_create_staff_makes_a_staff_account(monkeypatch):
    out = create_staff(
        "agent-yamamoto", "--email", "yamamoto@support.example.jp", "--role", "agent", monkeypatch=monkeypatch
    )
    staff = Member.objects.get(username="agent-yamamoto")
    assert staff.is_staff and not staff.is_superuser and staff.wester_id is None
    assert staff.check_password(GOOD.strip())
    assert "set up TOTP" in out


@pytest.mark.parametrize(
    ("role", "group"),
    [("agent", "support_agent"), ("supervisor", "support_supervisor"), ("operator", "support_operator")],
)
def test_create_staff_puts_the_account_in_its_roles_group(role, group, monkeypatch):
    create_staff("desk-1", "--role", role, monkeypatch=monkeypatch)
    staff = Member.objects.get(username="desk-1")
    assert list(staff.groups.values_list("name", flat=True)) == [group]
    assert staff.has_perm("accounts.view_member") and not staff.is_superuser


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "--role agent|supervisor|operator"),
        (("--role", "agent", "--superuser"), "どちらか一方"),
        (("--role", "admin"), "invalid choice"),
        (("--role", ""), "invalid choice"),
    ],
)
def test_create_staff_needs_exactly_one_role_and_creates_nothing_without_it(args, message, monkeypatch):
    with pytest.raises(CommandError, match=message):
        create_staff("desk-2", *args, monkeypatch=monkeypatch)
    assert not Member.objects.exists()


def test_reset_password_takes_no_role(monkeypatch):
    StaffFactory(username="desk-3")
    with pytest.raises(CommandError, match="--reset-password"):
        create_staff("desk-3", "--reset-password", "--role", "agent", monkeypatch=monkeypatch)


def test_create_staff_superuser(monkeypatch):
    create_staff("ops", "--superuser", monkeypatch=monkeypatch)
    assert Member.objects.get(username="ops").is_superuser


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (("agent", "--role", "agent"), "short\n", "短すぎます"),
        (("agent", "--role", "agent"), "12345678901234\n", "数字しか"),
        (("bad name!", "--role", "agent"), GOOD, "有効なユーザー名"),
        (("member-x", "--role", "agent"), GOOD, "会員用のため使えません"),
        (("agent", "--role", "agent", "--email", "not-an-email"), GOOD, "有効なメールアドレス"),
    ],
)
def test_create_staff_refuses_bad_input_and_creates_nothing(args, password, message, monkeypatch):
    with pytest.raises(CommandError) as error:
        create_staff(*args, password=password, monkeypatch=monkeypatch)
    assert message in str(error.value)
    assert "何も作成していません" in str(error.value)
    assert not Member.objects.exists()


def test_create_staff_refuses_a_taken_name(monkeypatch):
    StaffFactory(username="agent-ono")
    with pytest.raises(CommandError, match="すでに使われています"):
        create_staff("Agent-Ono", "--role", "agent", monkeypatch=monkeypatch)
    assert Member.objects.count() == 1


def test_run_identity_provider_refuses_a_bad_port():
    with pytest.raises(CommandError, match="between 1024 and 65535"):
        call_command("run_identity_provider", "--port", "80")


NEW = "another long pass phrase 43\n"


def test_reset_password_gives_a_staff_account_a_new_password_and_ends_its_sessions(monkeypatch, client):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from accounts.models import AuditEvent

    staff = StaffFactory(username="agent-mori")
    TOTP.activate(staff, generate_totp_secret())
    client.force_login(staff)

    out = create_staff("Agent-Mori", "--reset-password", password=NEW, monkeypatch=monkeypatch)

    staff.refresh_from_db()
    assert staff.check_password(NEW.strip()) and not staff.check_password("correct horse battery staple")
    assert "agent-mori" in out and "TOTP is unchanged" in out
    assert staff.authenticator_set.filter(type="totp").exists()
    client.get("/")
    assert "_auth_user_id" not in client.session  # the old password's session has ended
    assert AuditEvent.objects.filter(member=staff, action="staff.password_reset", actor=None).exists()


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (("nobody",), NEW, "アカウントはありません"),
        (("",), NEW, "アカウントはありません"),
        (("agent-mori",), "short\n", "短すぎます"),
        (("agent-mori",), "12345678901234\n", "数字しか"),
        (("agent-mori", "--email", "x@example.jp"), NEW, "一緒には使えません"),
        (("agent-mori", "--superuser"), NEW, "一緒には使えません"),
    ],
)
def test_reset_password_refuses_bad_input_and_changes_nothing(args, password, message, monkeypatch):
    staff = StaffFactory(username="agent-mori")
    before = staff.password

    with pytest.raises(CommandError) as error:
        create_staff(*args, "--reset-password", password=password, monkeypatch=monkeypatch)

    assert message in str(error.value)
    staff.refresh_from_db()
    assert staff.password == before and not staff.is_superuser and staff.email == ""


def test_reset_password_refuses_a_member_account_with_a_clear_message(monkeypatch):
    from accounts.tests.factories import MemberFactory

    member = MemberFactory(username="member-0001")

    with pytest.raises(CommandError) as error:
        create_staff("member-0001", "--reset-password", monkeypatch=monkeypatch)

    assert "会員のアカウントです" in str(error.value) and "WESTER ID" in str(error.value)
    assert "パスワードは変更していません" in str(error.value)
    member.refresh_from_db()
    assert not member.has_usable_password()


def test_reset_password_refuses_an_account_that_is_not_staff(monkeypatch):
    former = StaffFactory(username="former")
    Member.objects.filter(pk=former.pk).update(is_staff=False)
    with pytest.raises(CommandError, match="スタッフのアカウントではありません"):
        create_staff("former", "--reset-password", monkeypatch=monkeypatch)


def test_reset_password_asks_twice_and_refuses_a_mismatch(monkeypatch):
    staff = StaffFactory(username="agent-mori")
    answers = iter(["first pass phrase 1234", "second pass phrase 1234"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))

    with pytest.raises(CommandError, match="一致しません"):
        call_command("create_staff", "agent-mori", "--reset-password")

    staff.refresh_from_db()
    assert staff.check_password("correct horse battery staple")
