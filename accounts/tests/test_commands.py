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
    out = create_staff("agent-yamamoto", "--email", "yamamoto@support.example.jp", monkeypatch=monkeypatch)
    staff = Member.objects.get(username="agent-yamamoto")
    assert staff.is_staff and not staff.is_superuser and staff.wester_id is None
    assert staff.check_password(GOOD.strip())
    assert "set up TOTP" in out


def test_create_staff_superuser(monkeypatch):
    create_staff("ops", "--superuser", monkeypatch=monkeypatch)
    assert Member.objects.get(username="ops").is_superuser


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (("agent",), "short\n", "短すぎます"),
        (("agent",), "12345678901234\n", "数字しか"),
        (("bad name!",), GOOD, "有効なユーザー名"),
        (("member-x",), GOOD, "会員用のため使えません"),
        (("agent", "--email", "not-an-email"), GOOD, "有効なメールアドレス"),
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
        create_staff("Agent-Ono", monkeypatch=monkeypatch)
    assert Member.objects.count() == 1


def test_run_identity_provider_refuses_a_bad_port():
    with pytest.raises(CommandError, match="between 1024 and 65535"):
        call_command("run_identity_provider", "--port", "80")
