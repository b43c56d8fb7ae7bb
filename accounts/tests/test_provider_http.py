"""The portal's HTTP session to WESTER ID (accounts/provider_http.py): the callback's requests
share one kept connection, no cookie is kept, an idle connection is not reused."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import urllib3.connection

from accounts import provider_http
from accounts.adapters import WesterIdAdapter
from accounts.tests.oidc import follow_callback, provider_answer, start_sign_in


@pytest.fixture
def connections(monkeypatch):
    """The (host, port) of every new connection the portal opens."""
    opened = []
    connect = urllib3.connection.HTTPConnection.connect

    def counted(self):
        opened.append((self.host, self.port))
        return connect(self)

    monkeypatch.setattr(urllib3.connection.HTTPConnection, "connect", counted)
    return opened


@pytest.fixture
def fresh_session(monkeypatch):
    monkeypatch.setattr(provider_http, "_local", threading.local())


@pytest.mark.django_db
def test_the_callbacks_token_and_user_info_requests_share_one_connection(client, wester_id, connections, fresh_session):
    """allauth alone opens one for each (two per sign-in); the next sign-in soon after
    opens none."""
    opened = []
    for n in range(2):
        callback = provider_answer(start_sign_in(client), sub="demo-hanako")  # the browser's part
        if n == 0:  # the sign-in start's discovery request left a connection: not this time
            provider_http._local.session.close()
        connections.clear()
        assert follow_callback(client, callback).status_code == 302
        opened.append(list(connections))
        client.post("/accounts/logout/")

    assert opened == [[("127.0.0.1", int(wester_id.rsplit(":", 1)[1]))], []]


@pytest.mark.django_db
def test_a_connection_idle_too_long_is_not_reused(client, wester_id, connections, fresh_session, monkeypatch):
    monkeypatch.setattr(provider_http, "KEEP_IDLE_SECONDS", -1.0)  # every connection is "too old"

    callback = provider_answer(start_sign_in(client), sub="demo-hanako")
    connections.clear()
    assert follow_callback(client, callback).status_code == 302

    assert len(connections) == 2  # the token's and the user info's, as without a kept session


class CookieServer(BaseHTTPRequestHandler):
    """Sets a cookie on every answer and echoes the Cookie header it was sent."""

    def do_GET(self):
        body = (self.headers.get("Cookie") or "-").encode()
        self.send_response(200)
        self.send_header("Set-Cookie", "provider_session=member-a; Path=/")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def cookie_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), CookieServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


def test_no_cookie_from_one_sign_in_is_sent_with_the_next(cookie_server, fresh_session):
    adapter = WesterIdAdapter()
    with adapter.get_requests_session() as session:
        first = session.get(cookie_server)
    with adapter.get_requests_session() as session:
        second = session.get(cookie_server)

    assert first.headers["Set-Cookie"].startswith("provider_session=")
    assert second.text == "-"
    assert len(session.cookies) == 0


def test_the_session_is_kept_per_thread_and_has_allauths_timeout(fresh_session, settings):
    settings.SOCIALACCOUNT_REQUESTS_TIMEOUT = 7
    adapter = WesterIdAdapter()
    mine = adapter.get_requests_session()
    other = []
    thread = threading.Thread(target=lambda: other.append(adapter.get_requests_session()))
    thread.start()
    thread.join()

    assert adapter.get_requests_session() is mine
    assert other[0] is not mine
    assert mine.timeout == 7
