"""``python manage.py import_feed FILE [FILE ...]``: import card center feed files (FEED.md).

Each file is one import, read whole, in the order given; ``-`` reads standard input. At the
end, one summary line per file on standard output::

    FILE: N read, N imported, N unchanged, N rejected

(standard input is named ``stdin``). Rejected lines go to ``FILE.rejects.jsonl`` next to the
file (standard input: ``stdin.rejects.jsonl`` in the current directory), or into
``--rejects-dir``; fix them there and import that file again. No reject file is left when no
line was rejected. A progress bar goes to standard error when it is a terminal.

Exit status: 0 when no line was rejected, 1 when some were, 2 when a file could not be read
at all (missing, a directory, no permission) or its reject file could not be written; the
other files are still imported. From ``call_command``, a file that cannot be read raises
``CommandError``; rejected lines do not (read the summary or the ``FeedImport`` rows).
"""

from __future__ import annotations

import os
import sys

from django.core.management.base import BaseCommand, CommandError

from cards.feed.importer import feed_import
from cards.feed.source import FeedUnreadable, Progress, open_source, size_of

REJECTS_SUFFIX = ".rejects.jsonl"
STDIN_NAME = "stdin"


class Command(BaseCommand):
    help = (
        "Import card center feed files (JSON Lines, FEED.md). '-' reads standard input. Prints "
        "'FILE: N read, N imported, N unchanged, N rejected' per file and writes rejected lines to "
        "FILE.rejects.jsonl (stdin: ./stdin.rejects.jsonl). Exit status 0: nothing rejected, "
        "1: lines rejected, 2: a file could not be read."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE", help="a feed file, or - for standard input")
        parser.add_argument(
            "--rejects-dir",
            metavar="DIR",
            help="where the reject files go (default: next to each file; for stdin, the current directory)",
        )

    def run_from_argv(self, argv) -> None:
        self.exit_code = 0
        super().run_from_argv(argv)
        if self.exit_code:
            sys.exit(self.exit_code)

    def handle(self, *args, files: list[str], rejects_dir: str | None = None, **options) -> None:
        self.exit_code = 0
        summaries, failures = [], []
        terminal = self.stderr.isatty()
        for path in files:
            name = STDIN_NAME if path == "-" else path
            try:
                stream = open_source(path, stdin=sys.stdin.buffer if path == "-" else None)
            except FeedUnreadable as error:
                failures.append(f"cannot read {name}: {error}")
                continue
            with stream:
                progress = Progress(self.stderr._out, name, size_of(stream)) if terminal else None
                try:
                    report = feed_import(
                        stream=stream,
                        name=name,
                        reject_path=self._reject_path(path, rejects_dir),
                        file_name=STDIN_NAME if path == "-" else os.path.abspath(path),
                        progress=progress,
                    )
                finally:
                    if progress:
                        progress.close()
            summaries.append(report.summary)
            if report.reject_error:
                failures.append(report.reject_error)
            if report.rejected:
                self.exit_code = max(self.exit_code, 1)
        for line in summaries:
            self.stdout.write(line)
        if failures:
            self.exit_code = 2
            raise CommandError("; ".join(failures), returncode=2)

    @staticmethod
    def _reject_path(path: str, rejects_dir: str | None) -> str:
        if path == "-":
            return os.path.join(rejects_dir or os.curdir, STDIN_NAME + REJECTS_SUFFIX)
        directory = rejects_dir if rejects_dir is not None else os.path.dirname(path)
        return os.path.join(directory, os.path.basename(path) + REJECTS_SUFFIX)
