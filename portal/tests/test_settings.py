"""Production settings refuse to start without what they need, and
`check --deploy` is clean with them."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEST_ONLY = {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE", "CELERY_TASK_ALWAYS_EAGER"}
PRODUCTION = {
    "PORTAL_ENV": "production",
    "SECRET_KEY": "p" * 30 + "-production-secret-for-the-check-0123456789",
    "ALLOWED_HOSTS": "portal.example.jp",
    "WESTER_ID_ISSUER": "https://id.example.jp",
    "WESTER_ID_CLIENT_ID": "portal",
    "WESTER_ID_CLIENT_SECRET": "s3cret",
    "DATABASE_URL": "sqlite:///:memory:",
    "PORTAL_INVOICE_REGISTRATION_NUMBER": "T9876543210987",
    "PORTAL_BASE_URL": "https://portal.example.jp",
    "PAYMENT_PROVIDER": "billing.payment_methods.providers.sandbox.SandboxProvider",
    "PAYMENT_SANDBOX_ALLOWED": "1",
    "SUPPORT_CENTER_PHONE": "0570-123-456",
    "SUPPORT_CENTER_HOURS": "9:00〜20:00（年中無休）",
    "SUPPORT_CENTER_HOURS_EN": "9:00–20:00, every day",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in PRODUCTION and k not in TEST_ONLY}
    environment["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    environment.update(env)
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("SECRET_KEY", "SECRET_KEY is required"),
        ("ALLOWED_HOSTS", "ALLOWED_HOSTS is required"),
        ("WESTER_ID_CLIENT_SECRET", "WESTER_ID_ISSUER, WESTER_ID_CLIENT_ID and WESTER_ID_CLIENT_SECRET are required"),
        ("PORTAL_INVOICE_REGISTRATION_NUMBER", "PORTAL_INVOICE_REGISTRATION_NUMBER (T + 13 digits) is required"),
        ("PORTAL_BASE_URL", "PORTAL_BASE_URL (https://..., the address members use) is required in production"),
        ("PAYMENT_PROVIDER", "PAYMENT_PROVIDER is required in production"),
    ],
)
def test_production_refuses_to_start_without(missing, message):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = manage("check", **env)
    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.parametrize("name", ["DEBUG", "PAYMENT_SANDBOX_ALLOWED", "CELERY_TASK_ALWAYS_EAGER"])
def test_a_yes_no_variable_that_says_neither_stops_the_start_with_its_name(name):
    result = manage("check", **{name: "ture"})
    assert result.returncode != 0
    assert f"{name}='ture' is neither true nor false" in result.stderr


@pytest.mark.parametrize("value", ["true", "1", "yes", "on", "false", "0", "no", "off", "False", " true "])
def test_the_usual_ways_of_saying_yes_or_no_are_read(value):
    assert manage("check", DEBUG=value).returncode == 0


def test_production_refuses_debug_on_a_public_host():
    result = manage("check", DEBUG="true", **PRODUCTION)
    assert result.returncode != 0
    assert "DEBUG must be off on a public host" in result.stderr


@pytest.mark.parametrize("number", ["1234567890123", "T123456789012", "T12345678901234", "t1234567890123"])
def test_a_malformed_invoice_registration_number_is_refused(number):
    result = manage("check", PORTAL_INVOICE_REGISTRATION_NUMBER=number)
    assert result.returncode != 0
    assert "must be T followed by 13 digits" in result.stderr


def test_production_refuses_the_demo_invoice_registration_number():
    result = manage("check", **{**PRODUCTION, "PORTAL_INVOICE_REGISTRATION_NUMBER": "T1234567890123"})
    assert result.returncode != 0
    assert "PORTAL_INVOICE_REGISTRATION_NUMBER (T + 13 digits) is required in production" in result.stderr


def test_a_short_secret_key_is_refused():
    result = manage("check", **{**PRODUCTION, "SECRET_KEY": "short"})
    assert "at least 50 characters" in result.stderr


def test_a_malformed_email_url_is_refused_with_the_accepted_forms():
    result = manage("check", EMAIL_URL="mailto:ops@example.jp")
    assert result.returncode != 0
    assert "EMAIL_URL must start with" in result.stderr


def show_storage(**env: str) -> subprocess.CompletedProcess:
    return manage("shell", "-c", "from django.conf import settings; print(settings.STORAGES['default'])", **env)


def test_stored_files_go_to_disk_by_default_and_to_a_bucket_when_named():
    assert "FileSystemStorage" in show_storage().stdout
    result = show_storage(
        S3_BUCKET="portal-documents", S3_REGION="ap-northeast-1", S3_PREFIX="prod", **PRODUCTION
    )
    assert result.returncode == 0, result.stderr
    assert "storages.backends.s3.S3Storage" in result.stdout
    for part in ("'bucket_name': 'portal-documents'", "'region_name': 'ap-northeast-1'", "'location': 'prod'",
                 "'querystring_auth': True", "'ServerSideEncryption': 'AES256'"):
        assert part in result.stdout


def test_production_refuses_a_plain_http_storage_endpoint():
    result = manage("check", S3_BUCKET="portal-documents", S3_ENDPOINT_URL="http://minio.internal:9000", **PRODUCTION)
    assert result.returncode != 0
    assert "S3_ENDPOINT_URL must be an https:// URL in production" in result.stderr


def test_production_refuses_a_plain_http_base_url():
    result = manage("check", **{**PRODUCTION, "PORTAL_BASE_URL": "http://portal.example.jp"})
    assert result.returncode != 0
    assert "PORTAL_BASE_URL (https://..., the address members use) is required" in result.stderr


def test_the_sandbox_pages_exist_only_while_the_sandbox_is_the_provider():
    script = (
        "from django.urls import Resolver404, resolve\n"
        "try:\n    resolve('/sandbox-pay/pay/session-1/'); print('served')\n"
        "except Resolver404:\n    print('not found')"
    )
    assert manage("shell", "-c", script).stdout.split()[-1] == "served"
    gateway = manage("shell", "-c", script, PAYMENT_PROVIDER="billing.payment_methods.providers.base.PaymentProvider")
    assert gateway.stdout.strip().splitlines()[-1] == "not found", gateway.stderr


def show(expression: str, **env: str) -> subprocess.CompletedProcess:
    return manage("shell", "-c", f"from django.conf import settings; print(({expression}))", **env)


def test_production_cookies_are_host_prefixed():
    result = show("settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME, settings.SESSION_COOKIE_SECURE, "
                  "settings.CSRF_COOKIE_SECURE, settings.SESSION_COOKIE_PATH, settings.SESSION_COOKIE_DOMAIN, "
                  "settings.CSRF_COOKIE_PATH, settings.CSRF_COOKIE_DOMAIN", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    # __Host- cookies are kept by browsers only when Secure, for path / and without a Domain.
    assert result.stdout.strip().splitlines()[-1] == "('__Host-sessionid', '__Host-csrftoken', True, True, '/', None, '/', None)"
    local = show("settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME")  # plain http on a laptop
    assert local.stdout.strip().splitlines()[-1] == "('sessionid', 'csrftoken')"


def test_production_form_action_names_the_portal_wester_id_and_the_payment_provider():
    gateway = {**PRODUCTION, "PAYMENT_PROVIDER": "billing.payment_methods.providers.base.PaymentProvider",
               "PAYMENT_PROVIDER_ORIGIN": "https://pay.gateway.example/entry/", "WESTER_ID_ISSUER": "https://id.example.jp/realms/west"}
    result = show("settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action']", **gateway)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[\"'self'\", 'https://pay.gateway.example', 'https://id.example.jp']"


def test_production_with_a_real_gateway_needs_its_origin():
    gateway = {**PRODUCTION, "PAYMENT_PROVIDER": "billing.payment_methods.providers.base.PaymentProvider"}
    result = manage("check", **gateway)
    assert result.returncode != 0
    assert "PAYMENT_PROVIDER_ORIGIN (https://..., where the provider's card page is) is required" in result.stderr


def test_production_refuses_the_sandbox_provider_unless_a_test_system_says_so():
    """The sandbox takes no money and registers any test card: production runs it only where
    PAYMENT_SANDBOX_ALLOWED=1 says this is a test system."""
    env = {k: v for k, v in PRODUCTION.items() if k != "PAYMENT_SANDBOX_ALLOWED"}
    for allowed in (None, "0", "false"):
        result = manage("check", **env, **({} if allowed is None else {"PAYMENT_SANDBOX_ALLOWED": allowed}))
        assert result.returncode != 0
        assert "set PAYMENT_SANDBOX_ALLOWED=1 if this is a test system" in result.stderr
    assert manage("check", **env, PAYMENT_SANDBOX_ALLOWED="1").returncode == 0
    # Another provider needs no such flag.
    gateway = manage("check", **{**env, "PAYMENT_PROVIDER": "billing.payment_methods.providers.base.PaymentProvider",
                                  "PAYMENT_PROVIDER_ORIGIN": "https://pay.gateway.example"})
    assert gateway.returncode == 0, gateway.stderr


def show_secret_key(var_dir: Path) -> str:
    result = manage("shell", "-c", "from django.conf import settings; print(settings.SECRET_KEY)",
                    PORTAL_VAR_DIR=str(var_dir))
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_a_checkout_generates_its_own_secret_key_once_into_var(tmp_path):
    """No key in the repository: the first start writes a random one into var/ (owner only),
    every later start reads it, and another checkout has another key."""
    first = show_secret_key(tmp_path / "one")
    key_file = tmp_path / "one" / "secret_key"
    assert key_file.read_text().strip() == first
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert len(first) >= 50
    assert show_secret_key(tmp_path / "one") == first
    assert show_secret_key(tmp_path / "two") != first
    assert not list((tmp_path / "one").glob(".secret_key*"))  # no temporary file left
    for source in (ROOT / "portal").glob("settings*.py"):
        assert first not in source.read_text()


def test_a_damaged_secret_key_file_stops_the_start_with_what_to_do(tmp_path):
    (tmp_path / "secret_key").write_text("short\n")
    result = manage("check", PORTAL_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "holds no usable key" in result.stderr and "remove it" in result.stderr


@pytest.mark.parametrize("missing", ["SUPPORT_CENTER_PHONE", "SUPPORT_CENTER_HOURS", "SUPPORT_CENTER_HOURS_EN"])
def test_production_refuses_to_start_without_the_support_center(missing):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = manage("check", **env)
    assert result.returncode != 0
    assert "SUPPORT_CENTER_PHONE, SUPPORT_CENTER_HOURS and SUPPORT_CENTER_HOURS_EN" in result.stderr
    assert "required in production" in result.stderr


def test_production_refuses_the_demo_support_center_number():
    result = manage("check", **{**PRODUCTION, "SUPPORT_CENTER_PHONE": "0570-000-000"})
    assert result.returncode != 0
    assert "SUPPORT_CENTER_PHONE, SUPPORT_CENTER_HOURS and SUPPORT_CENTER_HOURS_EN" in result.stderr


@pytest.mark.parametrize("number", ["05700000000", "0570 000 000", "+81-570-000-000", "0570-000-000<script>", "abc"])
def test_a_malformed_support_center_number_is_refused(number):
    result = manage("check", SUPPORT_CENTER_PHONE=number)
    assert result.returncode != 0
    assert "SUPPORT_CENTER_PHONE must be a Japanese phone number with hyphens" in result.stderr


def test_local_settings_have_demo_support_center_values():
    result = manage("shell", "-c", "from django.conf import settings as s; print(s.SUPPORT_CENTER_PHONE, s.SUPPORT_CENTER_HOURS_EN)")
    assert result.returncode == 0, result.stderr
    assert "0570-000-000 9:00–20:00, every day (demo)" in result.stdout


def show_database_options(**env: str) -> subprocess.CompletedProcess:
    return manage("shell", "-c", "from django.conf import settings; print(settings.DATABASES['default'].get('OPTIONS'))",
                  **env)


def test_postgresql_binds_on_the_server_and_prepares_repeated_statements():
    postgres = "postgres://postgres@127.0.0.1:5432/portal_unused"
    result = show_database_options(DATABASE_URL=postgres)
    assert "'server_side_binding': True" in result.stdout and "'prepare_threshold': 5" in result.stdout, result.stderr
    assert "'prepare_threshold': None" in show_database_options(DATABASE_URL=postgres,
                                                              DATABASE_PREPARE_THRESHOLD="off").stdout
    assert "server_side_binding" not in show_database_options(DATABASE_URL="sqlite:///:memory:").stdout


def test_a_prepare_threshold_that_is_not_a_number_stops_the_start_with_what_to_give():
    result = show_database_options(DATABASE_PREPARE_THRESHOLD="five")
    assert result.returncode != 0
    assert "DATABASE_PREPARE_THRESHOLD='five': give how many times a statement runs" in result.stderr
