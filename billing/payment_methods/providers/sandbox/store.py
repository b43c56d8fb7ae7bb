"""The sandbox provider's own store: a separate SQLite file
(``SANDBOX_PAY_STORE``, under ``var/`` by default), never the portal's
database. It holds the provider's sessions and its card vault, as a real
provider keeps them on its own systems.

The vault keeps the card number (that is what a provider is for) but never
the security code, and a card whose registration did not succeed is deleted.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from django.conf import settings

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    reference TEXT NOT NULL,
    nonce TEXT NOT NULL,
    return_url TEXT NOT NULL,
    merchant TEXT NOT NULL,
    status TEXT NOT NULL,
    token TEXT,
    form_state TEXT,
    brands TEXT,
    challenge_failures INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS vault (
    token TEXT PRIMARY KEY,
    number TEXT NOT NULL,
    brand TEXT NOT NULL,
    funding TEXT NOT NULL,
    exp_month INTEGER NOT NULL,
    exp_year INTEGER NOT NULL,
    holder_name TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
"""
_ADDED_COLUMNS = {"form_state": "TEXT", "brands": "TEXT", "challenge_failures": "INTEGER NOT NULL DEFAULT 0"}
_ready: set[Path] = set()
_lock = threading.Lock()


class SessionStatus(StrEnum):
    ENTRY = "entry"  # waiting for the card details
    CHALLENGE = "challenge"  # card entered, the 3-D Secure challenge is open
    FINISHED = "finished"  # the member was sent back with a result


@dataclass(frozen=True)
class Session:
    id: str
    reference: str
    nonce: str
    return_url: str
    merchant: str
    status: SessionStatus
    token: str | None
    created_at: int
    expires_at: int
    # The brands the merchant accepts (upper-case codes); empty: every brand.
    brands: tuple[str, ...] = ()
    # Wrong one-time codes typed on the challenge page so far.
    challenge_failures: int = 0

    @property
    def expired(self) -> bool:
        return time.time() > self.expires_at

    def accepts(self, brand: str) -> bool:
        return not self.brands or brand in self.brands


@dataclass(frozen=True)
class VaultCard:
    token: str
    number: str
    brand: str
    funding: str
    exp_month: int
    exp_year: int
    holder_name: str

    @property
    def last4(self) -> str:
        return self.number[-4:]

    def __repr__(self) -> str:  # never the number in a traceback
        return f"VaultCard({self.brand} ****{self.last4})"


def store_path() -> Path:
    return Path(settings.SANDBOX_PAY_STORE)


@contextmanager
def _connection() -> Iterator[sqlite3.Connection]:
    path = store_path()
    with _lock:
        if path not in _ready:
            path.parent.mkdir(parents=True, exist_ok=True)
            with closing(sqlite3.connect(path, timeout=20)) as setup:
                setup.execute("PRAGMA journal_mode=WAL")
                setup.executescript(_SCHEMA)
                columns = {row[1] for row in setup.execute("PRAGMA table_info(sessions)")}
                for column, definition in _ADDED_COLUMNS.items():  # a store from before the column
                    if column not in columns:
                        setup.execute(f"ALTER TABLE sessions ADD COLUMN {column} {definition}")
            _ready.add(path)
    with closing(sqlite3.connect(path, timeout=20)) as connection:
        connection.row_factory = sqlite3.Row
        with connection:  # one transaction
            yield connection


def session_create(
    *, reference: str, nonce: str, return_url: str, merchant: str, expires_at: int, brands: tuple[str, ...] = ()
) -> Session:
    session_id = secrets.token_urlsafe(24)
    now = int(time.time())
    with _connection() as db:
        db.execute(
            "INSERT INTO sessions (id, reference, nonce, return_url, merchant, status, created_at, expires_at, brands)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (session_id, reference, nonce, return_url, merchant, SessionStatus.ENTRY, now, expires_at,
             ",".join(brands)),
        )
    return Session(
        session_id, reference, nonce, return_url, merchant, SessionStatus.ENTRY, None, now, expires_at, tuple(brands)
    )


def session_get(session_id: str) -> Session | None:
    with _connection() as db:
        row = db.execute(
            "SELECT id, reference, nonce, return_url, merchant, status, token, created_at, expires_at, brands,"
            " challenge_failures FROM sessions WHERE id = ?",
            (session_id,),
        ).fetchone()
    if row is None:
        return None
    brands = tuple(brand for brand in (row["brands"] or "").split(",") if brand)
    return Session(**{**dict(row), "status": SessionStatus(row["status"]), "brands": brands})


def session_challenge_failed(session_id: str, *, failures_seen: int) -> bool:
    """Count one more wrong one-time code, only from the count the caller
    saw (a double submit counts once): False when someone else moved first."""
    with _connection() as db:
        cursor = db.execute(
            "UPDATE sessions SET challenge_failures = challenge_failures + 1"
            " WHERE id = ? AND status = ? AND challenge_failures = ?",
            (session_id, SessionStatus.CHALLENGE, failures_seen),
        )
        return cursor.rowcount == 1


def session_keep_form(session_id: str, state: dict[str, object]) -> None:
    """The entry form's errors and harmless values (never the number or the
    security code) for the page shown after the redirect."""
    with _connection() as db:
        db.execute("UPDATE sessions SET form_state = ? WHERE id = ?", (json.dumps(state), session_id))


def session_take_form(session_id: str) -> dict[str, object] | None:
    with _connection() as db:
        row = db.execute("SELECT form_state FROM sessions WHERE id = ?", (session_id,)).fetchone()
        db.execute("UPDATE sessions SET form_state = NULL WHERE id = ?", (session_id,))
    return json.loads(row["form_state"]) if row and row["form_state"] else None


def session_advance(session_id: str, *, expected: SessionStatus, status: SessionStatus, token: str | None) -> bool:
    """Move a session on, only from the state the caller saw (two tabs, a
    double submit): False when someone else moved it first."""
    with _connection() as db:
        cursor = db.execute(
            "UPDATE sessions SET status = ?, token = ? WHERE id = ? AND status = ?",
            (status, token, session_id, expected),
        )
        return cursor.rowcount == 1


def card_store(*, number: str, brand: str, funding: str, exp_month: int, exp_year: int, holder_name: str) -> str:
    token = "tok_sandbox_" + secrets.token_urlsafe(18)
    with _connection() as db:
        db.execute(
            "INSERT INTO vault (token, number, brand, funding, exp_month, exp_year, holder_name, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (token, number, brand, funding, exp_month, exp_year, holder_name, int(time.time())),
        )
    return token


def card_get(token: str) -> VaultCard | None:
    with _connection() as db:
        row = db.execute(
            "SELECT token, number, brand, funding, exp_month, exp_year, holder_name FROM vault WHERE token = ?",
            (token,),
        ).fetchone()
    return VaultCard(**dict(row)) if row else None


def card_delete(token: str) -> None:
    with _connection() as db:
        db.execute("DELETE FROM vault WHERE token = ?", (token,))
