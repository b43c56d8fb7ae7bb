"""The local ``SECRET_KEY`` of one checkout: generated once into ``var/``, never a value in
the repository.

A key anyone can read in the source signs anyone's sessions and the sandbox payment
provider's answers. Without ``SECRET_KEY`` in the environment (a laptop, ``make run``), the
settings read ``var/secret_key``; the first start writes it with random bytes (``secrets``),
readable by its owner only (mode 0600), and every later start, the worker's and the
web server's alike, reads the same key. Production never comes here: it refuses to start
without ``SECRET_KEY``. Pure standard library (the settings import it).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

FILE_NAME = "secret_key"
MIN_LENGTH = 50


class SecretKeyFileError(Exception):
    pass


def local_secret_key(var_dir: Path) -> str:
    """The key in ``var_dir/secret_key``, written first if there is none."""
    path = var_dir / FILE_NAME
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        # Written whole under another name, then linked into place: a process starting at
        # the same moment sees either no file or the whole key, and of two that both write,
        # the first link wins and both read its key.
        temporary = var_dir / f".{FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w", encoding="ascii") as out:
                out.write(secrets.token_urlsafe(48) + "\n")  # 64 characters
            with contextlib.suppress(FileExistsError):  # another process was first
                os.link(temporary, path)
        finally:
            temporary.unlink()
    key = path.read_text(encoding="ascii").strip()
    if len(key) < MIN_LENGTH:
        # A damaged file: never guess.
        raise SecretKeyFileError(
            f"{path} holds no usable key (fewer than {MIN_LENGTH} characters): remove it and "
            "start again to generate a new one (signed-in sessions end)"
        )
    return key
