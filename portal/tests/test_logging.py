import json
import logging

import pytest

from portal.logging import JsonFormatter, redact

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "leak"),
    [
        ("card 4100000000000100 declined", "4100000000000100"),
        ("card 4100 0000 0000 0100 declined", "4100 0000 0000 0100"),
        ("amex 378282246310005", "378282246310005"),
        ("icoca JW7A00000000000001 suspended", "JW7A00000000000001"),
        ("client_secret=abcdef123456", "abcdef123456"),
        ('{"token": "tok_live_123456"}', "tok_live_123456"),
        ("code_verifier: verif1234567890", "verif1234567890"),
    ],
)
def test_secrets_and_card_numbers_never_reach_a_log_line(text, leak):
    assert leak not in redact(text)


def test_icoca_numbers_keep_their_last_four_for_support():
    assert redact("JW7A0000000001234") == "JW•••••••••••1234"


def test_amounts_and_dates_stay_readable():
    assert redact("charged 3000 yen on 2026-11-20, balance 6670") == "charged 3000 yen on 2026-11-20, balance 6670"


def test_a_log_line_is_one_json_object_with_the_request_id():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "card %s", ("4100000000000100",), None)
    record.request_id = "req-12345678"
    record.member = 7
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert "\n" not in line
    assert entry["request_id"] == "req-12345678"
    assert entry["member"] == 7
    assert "4100000000000100" not in line


def test_each_request_logs_one_line_without_its_query_string(client, caplog):
    caplog.set_level(logging.INFO, logger="portal.request")
    response = client.get("/help/?code=secret-code&state=s", HTTP_X_REQUEST_ID="abcdef123456")

    lines = [r for r in caplog.records if r.name == "portal.request"]
    assert len(lines) == 1
    assert lines[0].path == "/help/"
    assert lines[0].status == 200
    assert lines[0].request_id == "abcdef123456"
    assert response["X-Request-ID"] == "abcdef123456"
    assert "secret-code" not in JsonFormatter().format(lines[0])


def test_an_unusable_incoming_request_id_is_replaced(client):
    response = client.get("/help/", HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert response["X-Request-ID"] != "bad id\nwith newline"
    assert len(response["X-Request-ID"]) == 32
