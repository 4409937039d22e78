"""The socket's Origin check compares scheme, host and port (issue 9, item 11)."""

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.support import GunicornServer, HttpSession, server_env
from tocsin.live.ws import origin_allowed


def refused(session: HttpSession, origin: str, **headers: str) -> bool:
    """Try to open the socket with `origin`; True if the upgrade was refused with 403."""
    url = session.base.replace("http://", "ws://") + "/notifications/ws"
    headers = {"Cookie": session.cookie_header, **headers}
    try:
        with connect(url, origin=origin, additional_headers=headers, open_timeout=5) as ws:
            ws.recv(timeout=5)  # the snapshot: accepted
            return False
    except InvalidStatus as err:
        assert err.response.status_code == 403
        return True


def test_https_origin_is_refused_on_an_http_app(login, server):
    alice = login("alice")
    host = server.url.removeprefix("http://")
    assert refused(alice, f"https://{host}")
    assert refused(alice, f"http://{host.replace('127.0.0.1', 'localhost')}")
    assert not refused(alice, f"http://{host}")


@pytest.fixture
def https_behind_proxy(publisher, database_url, tmp_path):
    """gunicorn trusting X-Forwarded-Proto from 127.0.0.1, as behind a local TLS proxy."""
    server = GunicornServer(server_env(tmp_path, database_url), worker_class="gevent").start()
    yield server
    server.stop()


def test_http_origin_is_refused_on_an_https_app(https_behind_proxy):
    server = https_behind_proxy
    alice = HttpSession(server.url).login("alice")
    host = server.url.removeprefix("http://")
    https = {"X-Forwarded-Proto": "https"}
    assert refused(alice, f"http://{host}", **https)
    assert not refused(alice, f"https://{host}", **https)
    # Without the proxy's word the app is http, and an https page is another origin.
    assert refused(alice, f"https://{host}")


@pytest.mark.parametrize(
    ("app_url", "origin", "allowed"),
    [
        ("http://tocsin.example", "http://tocsin.example:80", True),
        ("http://tocsin.example", "HTTP://Tocsin.Example", True),
        ("http://tocsin.example", "https://tocsin.example", False),
        ("http://tocsin.example", "http://tocsin.example:8080", False),
        ("https://tocsin.example", "https://tocsin.example:443", True),
        ("https://tocsin.example", "http://tocsin.example", False),
        ("https://tocsin.example", "http://tocsin.example:443", False),
        ("https://tocsin.example:8443", "https://tocsin.example:8443", True),
        ("https://tocsin.example:8443", "https://tocsin.example", False),
        ("http://tocsin.example", "null", False),
        ("http://tocsin.example", "http://tocsin.example:99999", False),
        ("http://tocsin.example", "ftp://tocsin.example", False),
    ],
)
def test_origins_compare_as_browsers_do(app, app_url, origin, allowed):
    with app.test_request_context("/notifications/ws", base_url=app_url):
        assert origin_allowed(origin) is allowed
