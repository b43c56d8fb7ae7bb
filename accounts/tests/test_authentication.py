"""accounts/authentication.py: ``request.user`` read without compiling the member's query, and
every rule of Django's ``auth.get_user`` kept."""

from __future__ import annotations

from datetime import UTC, datetime
from unittest import mock

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import authentication
from accounts.models import Member
from accounts.session_store import SessionStore
from accounts.tests.factories import MemberFactory, StaffFactory
from portal.fields import LAST_SHOWN

pytestmark = pytest.mark.django_db

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _fields(member: Member) -> dict:
    return {field.attname: getattr(member, field.attname) for field in Member._meta.concrete_fields}


def _request(member: Member, *, backend: str = MODEL_BACKEND, session_hash: str | None = None):
    session = SessionStore()
    session[SESSION_KEY] = str(member.pk)
    session[BACKEND_SESSION_KEY] = backend
    session[HASH_SESSION_KEY] = member.get_session_auth_hash() if session_hash is None else session_hash
    session.save()
    request = RequestFactory().get("/")
    request.session = SessionStore(session.session_key)
    return request


def test_a_signed_in_page_reads_the_member_without_compiling_a_query(client):
    member = MemberFactory()
    client.force_login(member)
    compiled = []
    original = SQLCompiler.as_sql

    def as_sql(self, *args, **kwargs):
        compiled.append(self.query.model)
        return original(self, *args, **kwargs)

    with mock.patch.object(SQLCompiler, "as_sql", as_sql), CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("home"))

    assert response.status_code == 200 and response.wsgi_request.user == member
    assert Member not in compiled  # Django's get_user compiled Member.objects.get(pk=...)
    member_reads = [q["sql"] for q in queries.captured_queries if Member._meta.db_table in q["sql"]]
    assert len(member_reads) == 1 and member_reads[0].startswith('SELECT "id", "password", ')


def test_the_member_read_is_the_one_the_orm_reads():
    member = MemberFactory(language="en", last_signed_in_at=datetime(2026, 12, 1, 1, 2, 3, tzinfo=UTC),
                           last_sign_in_device="iPhone", card_name="HANAKO YAMADA")
    Member.objects.filter(pk=member.pk).update(previous_signed_in_at=datetime(9999, 12, 31, 20, 0, tzinfo=UTC))

    read = authentication.member_by_id(member.pk)
    orm = Member.objects.get(pk=member.pk)

    assert type(read) is Member
    assert _fields(read) == _fields(orm)
    assert read.previous_signed_in_at == LAST_SHOWN  # ShownDateTimeField's from_db_value applied
    assert read._state.adding is False and read._state.db == orm._state.db
    assert authentication.member_by_id(member.pk + 1000) is None


def test_the_session_of_the_member_signs_them_in():
    member = MemberFactory()
    request = _request(member)
    assert authentication.get_user(request) == member


def test_a_changed_password_signs_the_member_out_and_flushes_the_session():
    staff = StaffFactory()
    request = _request(staff)
    staff.set_password("another horse battery staple")
    staff.save()

    assert isinstance(authentication.get_user(request), AnonymousUser)
    assert SESSION_KEY not in request.session


def test_a_session_without_the_hash_signs_no_one_in():
    request = _request(MemberFactory(), session_hash="")
    assert isinstance(authentication.get_user(request), AnonymousUser)
    assert SESSION_KEY not in request.session


def test_a_session_made_with_a_retired_secret_key_is_cycled_as_django_does(settings):
    member = MemberFactory()
    settings.SECRET_KEY_FALLBACKS = ["an-old-secret-key-that-the-portal-used-before-0123456789"]
    request = _request(member, session_hash=next(iter(member.get_session_auth_fallback_hash())))
    key = request.session.session_key

    assert authentication.get_user(request) == member
    assert request.session.session_key != key
    assert request.session[HASH_SESSION_KEY] == member.get_session_auth_hash()


def test_an_inactive_or_deleted_member_is_no_one():
    member = MemberFactory()
    request = _request(member)
    Member.objects.filter(pk=member.pk).update(is_active=False)
    assert isinstance(authentication.get_user(request), AnonymousUser)

    other = MemberFactory()
    request = _request(other)
    Member.objects.filter(pk=other.pk).delete()
    assert isinstance(authentication.get_user(request), AnonymousUser)


def test_a_backend_no_longer_configured_signs_no_one_in():
    request = _request(MemberFactory(), backend="django.contrib.auth.backends.RemoteUserBackend")
    assert isinstance(authentication.get_user(request), AnonymousUser)


def test_allauths_backend_reads_the_member_the_same_way():
    member = MemberFactory()
    request = _request(member, backend="allauth.account.auth_backends.AuthenticationBackend")
    with mock.patch.object(Member._default_manager, "get", side_effect=AssertionError("compiled")):
        assert authentication.get_user(request) == member


def test_a_session_ended_by_staff_signs_the_member_out(client):
    member = MemberFactory()
    client.force_login(member)
    assert client.get(reverse("home")).wsgi_request.user == member
    SessionStore().delete(client.session.session_key)  # what usersessions' end() does

    assert isinstance(client.get(reverse("home")).wsgi_request.user, AnonymousUser)
