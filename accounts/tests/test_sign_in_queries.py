"""What the WESTER ID callback costs the database, and the shortcuts that keep it small:
one look-up of the provider's app, one UPDATE of the member, the session written without a
transaction around a single statement, the sign-in's user session inserted directly, the
discovery document from the cache."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests
import time_machine
from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session

from accounts.models import Member
from accounts.services import member_sign_in
from accounts.tests.oidc import follow_callback, provider_answer, sign_in, start_sign_in

# A returning member's callback, statement by statement (BEGIN and COMMIT count too):
# the app (1), the consumed state saved (1), allauth's account look-up, its member and its
# refresh (3), the member's sign-in UPDATE (1), allauth's is_existing (1), the MFA check (1),
# the new session and the end of the old one (2), last_login (1), the user sessions: list,
# the ended one's check and purge, the new one (4), the session's last write (1).
CALLBACK_QUERIES = 16  # 39 before (docs/performance.md, issue 16)
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Version/17.5 Safari/604.1"


@pytest.mark.django_db(transaction=True)  # as in production: no test transaction around the request
def test_a_returning_members_callback_takes_a_fixed_number_of_queries(client, wester_id, django_assert_num_queries):
    sign_in(client, "demo-hanako")
    client.post("/accounts/logout/")  # as members do: the next sign-in purges one ended session
    callback = provider_answer(start_sign_in(client), sub="demo-hanako")

    with django_assert_num_queries(CALLBACK_QUERIES):
        response = follow_callback(client, callback)

    assert response.status_code == 302 and response["Location"] == "/"
    member = Member.objects.get(wester_id="demo-hanako")
    assert int(client.session["_auth_user_id"]) == member.pk
    assert list(UserSession.objects.filter(user=member).values_list("session_key", flat=True)) == [
        client.session.session_key
    ]


@pytest.mark.django_db
def test_the_callback_records_the_sessions_client_and_purges_ended_sessions(client, wester_id):
    sign_in(client, "demo-hanako")
    first = client.session.session_key
    client.post("/accounts/logout/")
    client.defaults["HTTP_USER_AGENT"] = IPHONE

    sign_in(client, "demo-hanako")

    member = Member.objects.get(wester_id="demo-hanako")
    (row,) = UserSession.objects.filter(user=member)
    assert row.session_key == client.session.session_key != first
    assert (row.ip, row.user_agent) == ("127.0.0.1", IPHONE)
    assert Session.objects.filter(session_key=row.session_key).exists()
    assert member.last_login is not None and member.last_sign_in_device == "iPhone・Safari"


@pytest.mark.django_db
def test_a_member_still_signed_in_elsewhere_keeps_that_session(client, wester_id):
    from django.test import Client

    phone = Client()
    sign_in(phone, "demo-hanako")
    sign_in(client, "demo-hanako")

    member = Member.objects.get(wester_id="demo-hanako")
    assert set(UserSession.objects.filter(user=member).values_list("session_key", flat=True)) == {
        phone.session.session_key, client.session.session_key
    }
    assert phone.get("/").status_code == 200 and "_auth_user_id" in phone.session


@pytest.mark.django_db
def test_the_discovery_document_is_fetched_once_not_at_every_sign_in(client, wester_id, monkeypatch):
    fetched = []
    send = requests.Session.send

    def spy(self, request, **kwargs):
        fetched.append(request.url)
        return send(self, request, **kwargs)

    monkeypatch.setattr(requests.Session, "send", spy)
    for _ in range(3):
        assert sign_in(client, "demo-hanako").status_code == 302
        client.post("/accounts/logout/")  # the sign-out reads it too (the end-session endpoint)

    discovery = [url for url in fetched if url.endswith("/.well-known/openid-configuration")]
    assert len(discovery) == 1
    assert sum(url.endswith("/oauth2/token") for url in fetched) == 3


@pytest.mark.django_db
def test_a_sign_in_updates_the_member_it_was_handed_without_reading_it_again(django_assert_num_queries):
    with time_machine.travel(datetime(2026, 11, 1, 0, 5, tzinfo=UTC), tick=False):
        first = member_sign_in(wester_id="sub-1", claims={"name": "山田 花子"}, device="Windows・Edge")
    loaded = Member.objects.get(pk=first.pk)

    with time_machine.travel(datetime(2026, 11, 3, 12, 0, tzinfo=UTC), tick=False), django_assert_num_queries(1):
        member = member_sign_in(
            wester_id="sub-1", claims={"email": "hanako@example.jp"}, device="iPhone・Safari", member=loaded
        )

    assert member is loaded
    stored = Member.objects.get(pk=first.pk)
    for each in (member, stored):
        assert (each.name, each.email) == ("山田 花子", "hanako@example.jp")
        assert each.previous_signed_in_at == datetime(2026, 11, 1, 0, 5, tzinfo=UTC)
        assert each.previous_sign_in_device == "Windows・Edge"
        assert each.last_signed_in_at == datetime(2026, 11, 3, 12, 0, tzinfo=UTC)
        assert each.last_sign_in_device == "iPhone・Safari"


@pytest.mark.django_db
def test_a_member_handed_in_for_another_wester_id_is_not_the_one_returned():
    other = member_sign_in(wester_id="sub-other", claims={"name": "別人"})
    member = member_sign_in(wester_id="sub-1", claims={"name": "山田 花子"}, member=other)
    assert member.wester_id == "sub-1" and member.pk != other.pk
    other.refresh_from_db()
    assert other.name == "別人"


@pytest.mark.django_db
def test_a_first_sign_in_creates_the_member_with_the_claims():
    member = member_sign_in(wester_id="sub-new", claims={"family_name": "山田", "given_name": "花子"}, device="x")
    assert (member.name, member.last_name, member.first_name) == ("山田 花子", "山田", "花子")
    assert member.previous_signed_in_at is None and member.last_sign_in_device == "x"
    assert Member.objects.filter(wester_id="sub-new").count() == 1
