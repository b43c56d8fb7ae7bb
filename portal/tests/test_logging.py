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


@pytest.mark.parametrize(
    "text",
    [
        "card JWAB12CD34EF56GH7 suspended",  # letters and digits, as real numbers have them
        "reject file JWAB12CD34EF56GH7_rejects.jsonl",
        "path /cards/JWAB12CD34EF56GH7/history/",
        "{'icoca_number': 'JWAB12CD34EF56GH7'}",
        '{"icoca_number":"JWAB12CD34EF56GH7","at":"2026-11-20T08:12:33+09:00"}',
        "numbers XJWAB12CD34EF56GH7x",
    ],
)
def test_a_real_format_icoca_number_is_masked_to_its_last_four_wherever_it_stands(text):
    redacted = redact(text)
    assert "JWAB12CD34EF56GH7" not in redacted
    assert redacted == text.replace("JWAB12CD34EF56GH7", "JW•••••••••••6GH7")


@pytest.mark.parametrize(
    "text",
    [
        "card 4100000000000100 declined",
        "card 4100 0000 0000 0100 declined",
        "card 4100-0000-0000-0100.",
        "amex 3782 822463 10005",
        "balance 4210 4100000000000100",  # a number just before it
        "on 2026-11-20 4100 0000 0000 0100 was used",  # a date just before it
        '{"pan":"4100000000000100"}',
        "x=4100000000000100&y=1",
        "4100000000000100-attempt",
        "jcb 3528000000000106, diners 36227206271667, visa 19 4100000000000000004",
    ],
)
def test_card_numbers_with_a_valid_check_digit_are_removed(text):
    redacted = redact(text)
    assert "[card number removed]" in redacted
    for number in ("4100000000000100", "378282246310005", "3528000000000106", "36227206271667",
                   "4100000000000000004"):
        assert number not in redacted.replace(" ", "").replace("-", "")


@pytest.mark.parametrize(
    "text",
    [
        # Celery's own lines: the task id (a uuid) and the run time stay whole.
        "Task billing.tasks.render_document[0f3e4c1a-1b2c-4d5e-8f90-123456789012] succeeded in 0.123456789012345s: None",
        "Task cards.tasks.send_pass_reminders[3f2c7e2a-1c1b-4e38-9d43-412345678903] received",
        "succeeded in 0.4100000000000100s",  # the fraction alone would pass the Luhn check
        "duration 12.4100000000000100 ms",
        "request 7c9e6679-7425-40de-944b-e07fc1f90ae7 done",
        # Ids and numbers that are not card numbers.
        "order 12345678901234567 failed",  # card-number long, but the check digit is wrong
        "usage U-20261120-00000001 and 20261120081233000001",
        "id 41000000000001000000000000000000 (too long for a card)",
        "charged 3000 yen on 2026-11-20, balance 6670",
        "phone 090-1234-5678",
    ],
)
def test_task_ids_runtimes_uuids_and_other_numbers_stay_whole(text):
    assert redact(text) == text


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


def test_the_task_line_keeps_its_task_id_and_masks_a_card_in_its_fields():
    record = logging.LogRecord("portal.task", logging.INFO, __file__, 1, "task", (), None)
    record.task_id = "0f3e4c1a-1b2c-4d5e-8f90-123456789012"
    record.duration_ms = 4100000000000100.0
    record.note = "for JW7A0000000001234 paid with 4100 0000 0000 0100"
    entry = json.loads(JsonFormatter().format(record))
    assert entry["task_id"] == "0f3e4c1a-1b2c-4d5e-8f90-123456789012"
    assert entry["note"] == "for JW•••••••••••1234 paid with [card number removed]"


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


class _Unused:
    def sub(self, *args, **kwargs):
        raise AssertionError("a pass ran over a text with nothing to mask")


@pytest.mark.parametrize("text", ["request", "GET", "/load/baseline", "/history/csv/", "wester id unreachable"])
def test_a_text_with_no_digit_jw_colon_or_equals_is_kept_without_the_three_passes(text, monkeypatch):
    for name in ("_ICOCA", "_DIGIT_RUN", "_SECRET"):
        monkeypatch.setattr(f"portal.logging.{name}", _Unused())
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("JW7A0000000001234", "JW•••••••••••1234"),
        ("card 4100000000000100", "card [card number removed]"),
        ("password:hunter", "password:[removed]"),
        ("token=abcdef", "token=[removed]"),
    ],
)
def test_a_text_with_one_of_them_still_goes_through_the_passes(text, masked):
    assert redact(text) == masked
