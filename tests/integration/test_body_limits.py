"""Chunked bodies (no Content-Length) get the same 413 as announced ones, on real servers."""

import http.client
import json
import socket
import threading

import pytest
import sqlalchemy as sa

from tests.support import GunicornServer, LiveServer, server_env
from tocsin.api import tokens
from tocsin.extensions import db
from tocsin.models import Notification

VALID = json.dumps({"recipients": ["alice"], "type": "comment", "title": "Hi"}).encode()


@pytest.fixture(params=["dev", "gevent"])
def live(request, publisher, database_url, tmp_path):
    """The dev server (`flask run`) or gunicorn's gevent worker, as production serves."""
    env = server_env(tmp_path, database_url)
    server = LiveServer(env) if request.param == "dev" else GunicornServer(env, None, "gevent")
    yield server.start()
    server.stop()


@pytest.fixture
def token(publisher) -> str:
    with publisher.app_context():
        return tokens.create(db.session, "chunked")[1]


def post_chunked(port: int, path: str, body: bytes, headers: dict) -> tuple[int, bytes]:
    """POST `body` with Transfer-Encoding: chunked; return the status and response body."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Transfer-Encoding: chunked",
        "Connection: close",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode()

    def send() -> None:
        # From a thread: a server that answers 413 early may stop reading (or reset).
        try:
            sock.sendall(head)
            for start in range(0, len(body), 8192):
                chunk = body[start : start + 8192]
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass

    sender = threading.Thread(target=send)
    sender.start()
    try:
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, response.read()
    finally:
        sock.close()
        sender.join()


def rows(publisher) -> int:
    with publisher.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Notification))


def test_chunked_api_body_over_the_limit_is_a_413(live, token, publisher):
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    # Valid JSON, then whitespace: cut at 64 KiB it still parses, which is how it got 201.
    status, body = post_chunked(live.port, "/api/v1/notifications", VALID + b" " * 200_000, headers)
    assert status == 413 and json.loads(body)["error"].startswith("the request body"), body
    assert rows(publisher) == 0
    status, body = post_chunked(live.port, "/api/v1/notifications", VALID + b" " * 1000, headers)
    assert status == 201, body
    assert rows(publisher) == 1


def test_chunked_login_form_over_the_limit_is_a_413(live):
    # Without a cap the form parser read any chunked body whole, before CSRF and login.
    form = b"username=alice&password=" + b"x" * 5_000_000
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    status, _ = post_chunked(live.port, "/login", form, headers)
    assert status == 413
