"""The session engine (``SESSION_ENGINE = "accounts.session_store"``): Django's ``cached_db``
(read from the cache, written to the cache and the database), with fewer round trips to
the database for the same rows.

A signed-in member's pages write their session at most once a minute (the idle timeout
slides: accounts/sessions.py), and a sign-in writes it three times (the consumed state, the
new session, its last changes), so each statement saved here is saved on every sign-in.
Against Django's own ``cached_db``:

- a write is one ``UPDATE`` (or ``INSERT``), not ``BEGIN``, the statement, ``COMMIT``: one
  statement commits by itself. Inside a caller's transaction it still runs in a savepoint,
  so a refused insert does not break the caller's transaction;
- a new session key is not looked up first: ``create`` inserts it with ``must_create`` and
  draws another when the unique key refuses it (``CreateError``), so the look-up only cost
  a query (a collision of 32 random characters out of 36 does not happen in practice, and
  is still handled);
- ending a session is one ``DELETE``, not a ``SELECT`` of the row and then its ``DELETE``.
"""

from __future__ import annotations

import logging
from contextlib import nullcontext

from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError, UpdateError
from django.db import DatabaseError, IntegrityError, connections, router, transaction
from django.utils.crypto import get_random_string

logger = logging.getLogger("django.contrib.sessions")


class SessionStore(cached_db.SessionStore):
    def _get_new_session_key(self) -> str:
        return get_random_string(32, VALID_KEY_CHARS)

    def save(self, must_create: bool = False) -> None:
        if self.session_key is None:
            return self.create()
        data = self._get_session(no_load=must_create)
        row = self.create_model_instance(data)
        using = router.db_for_write(self.model, instance=row)
        in_transaction = connections[using].in_atomic_block
        try:
            with transaction.atomic(using=using) if in_transaction else nullcontext():
                row.save(force_insert=must_create, force_update=not must_create, using=using)
        except IntegrityError:
            if must_create:
                raise CreateError from None
            raise
        except DatabaseError:
            if not must_create:
                raise UpdateError from None
            raise
        try:
            self._cache.set(self.cache_key, self._session, self.get_expiry_age())
        except Exception:  # as cached_db: the database has it
            logger.exception("Error saving to cache (%s)", self._cache)

    def delete(self, session_key: str | None = None) -> None:
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        using = router.db_for_write(self.model)
        with connections[using].cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {connections[using].ops.quote_name(self.model._meta.db_table)} "  # noqa: S608 (the model's own table)
                "WHERE session_key = %s",
                [session_key],
            )
        self._cache.delete(self.cache_key_prefix + session_key)
