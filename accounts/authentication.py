"""The signed-in member of a request, read on every signed-in page (``request.user``).

Django's ``auth.get_user`` reads the member with ``Member._default_manager.get(pk=...)``
(``ModelBackend.get_user``): compiling that query was about 0.28 ms of the 0.40 ms the read
cost, on every signed-in page (2026-12-07, 2,000 reads, PostgreSQL on this host). Here the same
row is read with :data:`MEMBER_SQL`, of the model's own columns, and built into the same
``Member`` as the ORM builds it (portal.model_rows: ``Model.from_db``, with the columns'
converters: ``ShownDateTimeField``, and SQLite's datetimes and booleans).

Everything else is ``auth.get_user``'s, step for step (Django 5.2): the session's user id and
backend, a backend not in ``AUTHENTICATION_BACKENDS`` is no one, an inactive or deleted member
is no one, and the session's hash of the password is verified (a changed password, or a
session made with a retired ``SECRET_KEY``: cycled, as Django does). A session ended by staff
or by "end all sessions" is gone from the store, so it has no user id to read. A backend whose
``get_user`` is not ``ModelBackend``'s is left to Django's ``auth.get_user``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser
from django.db import connections, router
from django.utils.crypto import constant_time_compare

from accounts.models import Member
from portal import model_rows

#: The member row ``Member.objects.get(pk=...)`` reads, every column in the model's order.
MEMBER_SQL = "SELECT {columns} FROM {table} WHERE {pk} = %s"

# Per database: MEMBER_SQL written for it (quoted as it quotes), once a process.
_member_sql: dict[str, str] = {}
# Per backend path: the backend, when its get_user is ModelBackend's (else None).
_model_backends: dict[str, ModelBackend | None] = {}


def member_by_id(member_id) -> Member | None:
    """The member with primary key ``member_id`` as ``Member.objects.get(pk=...)`` reads it,
    or ``None`` when there is none. One query, not compiled by the ORM (portal.model_rows)."""
    database = router.db_for_read(Member)
    connection = connections[database]
    meta = Member._meta
    sql = _member_sql.get(database)
    if sql is None:
        quote = connection.ops.quote_name
        sql = _member_sql[database] = MEMBER_SQL.format(
            columns=model_rows.columns(Member, using=database), table=quote(meta.db_table), pk=quote(meta.pk.column)
        )
    found = model_rows.read(Member, sql, [meta.pk.get_db_prep_value(member_id, connection)], using=database)
    return found[0] if found else None


def _model_backend(backend_path: str) -> ModelBackend | None:
    if backend_path not in _model_backends:
        backend = load_backend(backend_path)
        reads_by_pk = getattr(type(backend), "get_user", None) is ModelBackend.get_user
        _model_backends[backend_path] = backend if reads_by_pk else None
    return _model_backends[backend_path]


def get_user(request):
    """``django.contrib.auth.get_user(request)``, the member read by :func:`member_by_id`."""
    try:
        user_id = Member._meta.pk.to_python(request.session[SESSION_KEY])
        backend_path = request.session[BACKEND_SESSION_KEY]
    except KeyError:
        return AnonymousUser()
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return AnonymousUser()
    backend = _model_backend(backend_path)
    if backend is None:
        return auth.get_user(request)
    user = member_by_id(user_id)
    if user is None or not backend.user_can_authenticate(user):
        return AnonymousUser()
    # Verify the session, as auth.get_user does.
    session_hash = request.session.get(HASH_SESSION_KEY)
    if not session_hash:
        session_hash_verified = False
    else:
        session_auth_hash = user.get_session_auth_hash()
        session_hash_verified = constant_time_compare(session_hash, session_auth_hash)
    if not session_hash_verified:
        # If the current secret does not verify the session, try with the fallback secrets
        # and stop when a matching one is found.
        if session_hash and any(
            constant_time_compare(session_hash, fallback_auth_hash)
            for fallback_auth_hash in user.get_session_auth_fallback_hash()
        ):
            request.session.cycle_key()
            request.session[HASH_SESSION_KEY] = session_auth_hash
        else:
            request.session.flush()
            return AnonymousUser()
    return user
