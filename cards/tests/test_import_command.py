"""``manage.py import_feed``: the summary lines, standard input, the reject files, the exit
status (0, 1, 2) and the progress bar (only on a terminal)."""

from __future__ import annotations

import io
import json
import os
import sys

import pytest
from django.core.management import CommandError, call_command

from cards.management.commands.import_feed import Command
from cards.models import Card, FeedImport

NUMBER = "JW7A0000000000001"
CARD = {
    "type": "card", "icoca_number": NUMBER, "wester_id": "w-1", "issued_at": "2025-04-01T09:00:00+09:00",
    "device": "android", "status": "active", "replaces": None,
}
RIDE = {
    "type": "usage", "id": "U-1", "icoca_number": NUMBER, "at": "2026-11-20T08:12:33+09:00", "kind": "ride",
    "amount": -580, "balance": 4210, "from": "大阪", "to": "京都",
}
BAD_RIDE = {**RIDE, "id": "U-2", "amount": 580}


def write(path, *lines) -> str:
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    return str(path)


def run_command(*args, stdin: bytes | None = None, monkeypatch=None) -> tuple[int, str, str]:
    """Run as from the command line (run_from_argv): exit status, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    command = Command(stdout=out, stderr=err)
    try:
        command.run_from_argv(["manage.py", "import_feed", *args])
        status = 0
    except SystemExit as exit:
        status = exit.code
    return status, out.getvalue(), err.getvalue()


# run_from_argv closes the connections at the end, as the command line does.
command_db = pytest.mark.django_db(transaction=True)


@command_db
def test_summary_line_and_exit_status_0(tmp_path):
    path = write(tmp_path / "feed.jsonl", CARD, RIDE)
    status, out, err = run_command(path)
    assert (status, out) == (0, f"{path}: 2 read, 2 imported, 0 unchanged, 0 rejected\n")
    assert not os.path.exists(path + ".rejects.jsonl") and "\r" not in err
    status, out, _ = run_command(path)  # replayed
    assert (status, out) == (0, f"{path}: 2 read, 0 imported, 2 unchanged, 0 rejected\n")


@command_db
def test_rejected_lines_give_exit_status_1_and_a_reject_file_next_to_the_file(tmp_path):
    path = write(tmp_path / "feed.jsonl", CARD, RIDE, BAD_RIDE)
    status, out, _ = run_command(path)
    assert (status, out) == (1, f"{path}: 3 read, 2 imported, 0 unchanged, 1 rejected\n")
    with open(path + ".rejects.jsonl", encoding="utf-8") as file:
        [entry] = [json.loads(line) for line in file]
    assert entry == {**BAD_RIDE, "_line": 3, "_reason": "usage.amount must be < 0 for kind 'ride' (got 580)"}


@command_db
def test_standard_input(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    feed = (json.dumps(CARD) + "\n" + json.dumps(BAD_RIDE) + "\n").encode()
    status, out, _ = run_command("-", stdin=feed, monkeypatch=monkeypatch)
    assert (status, out) == (1, "stdin: 2 read, 1 imported, 0 unchanged, 1 rejected\n")
    with open(tmp_path / "stdin.rejects.jsonl", encoding="utf-8") as file:
        assert json.loads(file.read())["_line"] == 2
    assert FeedImport.objects.get().file_name == "stdin"


@command_db
def test_rejects_dir(tmp_path, monkeypatch):
    (tmp_path / "rejects").mkdir()
    path = write(tmp_path / "feed.jsonl", BAD_RIDE)
    status, _, _ = run_command(path, "--rejects-dir", str(tmp_path / "rejects"))
    assert status == 1 and (tmp_path / "rejects" / "feed.jsonl.rejects.jsonl").exists()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"oops\n")))
    status, _, _ = run_command("-", "--rejects-dir", str(tmp_path / "rejects"))
    assert status == 1 and (tmp_path / "rejects" / "stdin.rejects.jsonl").exists()


@command_db
@pytest.mark.parametrize("kind", ["missing", "directory", "permission"])
def test_a_file_that_cannot_be_read_gives_exit_status_2_and_the_others_are_imported(tmp_path, kind):
    good = write(tmp_path / "good.jsonl", CARD)
    bad = tmp_path / "bad.jsonl"
    expected = {"missing": "No such file or directory", "directory": "Is a directory", "permission": "Permission denied"}
    if kind == "directory":
        bad.mkdir()
    elif kind == "permission":
        if os.geteuid() == 0:
            pytest.skip("root reads any file")
        write(bad, CARD)
        bad.chmod(0)
    status, out, err = run_command(str(bad), good)
    assert status == 2
    assert out == f"{good}: 1 read, 1 imported, 0 unchanged, 0 rejected\n"
    assert f"cannot read {bad}: {expected[kind]}" in err
    assert Card.objects.filter(icoca_number=NUMBER).exists()


@pytest.mark.django_db
def test_call_command_raises_for_an_unreadable_file_and_not_for_rejects(tmp_path):
    out = io.StringIO()
    call_command("import_feed", write(tmp_path / "feed.jsonl", CARD, BAD_RIDE), stdout=out)
    assert out.getvalue().endswith("2 read, 1 imported, 0 unchanged, 1 rejected\n")
    with pytest.raises(CommandError, match="cannot read") as raised:
        call_command("import_feed", str(tmp_path / "missing.jsonl"), stdout=out)
    assert raised.value.returncode == 2


@pytest.mark.django_db
def test_several_files_one_summary_line_each_at_the_end(tmp_path):
    first = write(tmp_path / "a.jsonl", RIDE)  # its card is only in the next file
    second = write(tmp_path / "b.jsonl", CARD, RIDE)
    out = io.StringIO()
    call_command("import_feed", first, second, stdout=out)
    assert out.getvalue() == (
        f"{first}: 1 read, 0 imported, 0 unchanged, 1 rejected\n"
        f"{second}: 2 read, 2 imported, 0 unchanged, 0 rejected\n"
    )
    assert FeedImport.objects.count() == 2


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.django_db
def test_a_progress_bar_on_a_terminal_only(tmp_path):
    path = write(tmp_path / "feed.jsonl", CARD, *({**RIDE, "id": f"U-{i}"} for i in range(10000)))
    out, err = io.StringIO(), Terminal()
    call_command("import_feed", path, stdout=out, stderr=err)
    assert "\r" in err.getvalue() and "lines" in err.getvalue()
    assert err.getvalue().endswith("\r")  # the bar is cleared
    assert out.getvalue() == f"{path}: 10001 read, 10001 imported, 0 unchanged, 0 rejected\n"
