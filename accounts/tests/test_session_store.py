"""accounts/session_store.py: Django's cached_db sessions in fewer statements, the same rows."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.session_store import SessionStore


def statements(captured) -> list[str]:
    return [query["sql"].split()[0] for query in captured.captured_queries]


@pytest.mark.django_db(transaction=True)  # autocommit, as a request runs in production
def test_each_write_is_one_statement_and_lands_in_the_database_and_the_cache():
    store = SessionStore()
    store["member_language"] = "en"
    with CaptureQueriesContext(connection) as created:
        store.save()
    store["member_language"] = "ja"
    with CaptureQueriesContext(connection) as updated:
        store.save()

    assert statements(created) == ["INSERT"]
    assert statements(updated) == ["UPDATE"]
    row = Session.objects.get(session_key=store.session_key)
    assert SessionStore().decode(row.session_data) == {"member_language": "ja"}
    assert cache.get(store.cache_key) == {"member_language": "ja"}
    assert SessionStore(store.session_key).load() == {"member_language": "ja"}


@pytest.mark.django_db(transaction=True)
def test_ending_a_session_is_one_delete_from_the_database_and_the_cache():
    store = SessionStore()
    store["x"] = 1
    store.save()
    key = store.session_key

    with CaptureQueriesContext(connection) as ended:
        SessionStore().delete(key)

    assert statements(ended) == ["DELETE"]
    assert not Session.objects.filter(session_key=key).exists()
    assert cache.get(store.cache_key) is None
    assert not SessionStore().exists(key)
    SessionStore().delete("no-such-session-key")  # nothing to end: no error


@pytest.mark.django_db(transaction=True)
def test_cycling_the_key_keeps_the_data_under_a_new_key_and_ends_the_old_one():
    store = SessionStore()
    store["x"] = 1
    store.save()
    old = store.session_key

    with CaptureQueriesContext(connection) as cycled:
        store.cycle_key()

    assert statements(cycled) == ["INSERT", "DELETE"]  # no look-up of the new key first
    assert store.session_key != old
    assert SessionStore(store.session_key).load() == {"x": 1}
    assert not Session.objects.filter(session_key=old).exists()


@pytest.mark.django_db
def test_a_new_key_that_is_taken_is_drawn_again_and_the_other_session_is_untouched(monkeypatch):
    taken = SessionStore()
    taken["who"] = "someone else"
    taken.save()
    keys = iter([taken.session_key, "b" * 32])
    monkeypatch.setattr(SessionStore, "_get_new_session_key", lambda self: next(keys))

    store = SessionStore()
    store["who"] = "me"
    with transaction.atomic():  # inside a caller's transaction: the refusal stays in its savepoint
        store.save()
        assert Session.objects.count() == 2

    assert store.session_key == "b" * 32
    assert SessionStore(taken.session_key).load() == {"who": "someone else"}
    assert SessionStore("b" * 32).load() == {"who": "me"}


@pytest.mark.django_db
def test_saving_a_session_that_ended_meanwhile_raises_as_django_does():
    from django.contrib.sessions.backends.base import UpdateError

    store = SessionStore()
    store["x"] = 1
    store.save()
    SessionStore().delete(store.session_key)
    store["x"] = 2
    with pytest.raises(UpdateError):
        store.save()
