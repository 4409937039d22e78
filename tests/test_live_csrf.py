"""A socket's CSRF token stays valid: each snapshot carries a fresh one, a long socket renews it."""

import re
import time

import pytest
import time_machine
from flask import g
from flask_login import login_user
from flask_wtf.csrf import generate_csrf, validate_csrf
from wtforms.validators import ValidationError

from app import users
from tests.conftest import user_id
from tocsin.extensions import db
from tocsin.live import csrf, push
from tocsin.live.connection import Connection

TOKEN_RE = re.compile(r'id="tocsin-csrf-token" value="([^"]+)" hx-swap-oob="true">')


@pytest.fixture
def socket_request(app):
    """The socket's request of alice, whose page was rendered two hours ago."""
    app.config["WTF_CSRF_TIME_LIMIT"] = 3600  # Flask-WTF's default, which hosts keep
    with app.test_request_context("/notifications/ws"):
        login_user(users.by_username(db.session, "alice"))
        with time_machine.travel(time.time() - 7200, tick=False):
            page_token = generate_csrf()
        yield page_token


def test_the_page_token_of_two_hours_ago_has_expired(socket_request):
    with pytest.raises(ValidationError):
        validate_csrf(socket_request)


def test_the_snapshot_carries_a_fresh_token_for_the_pages_posts(socket_request):
    conn = Connection(user_id("alice"), maxsize=8)
    csrf.issue(conn)  # as ws() does at connect, in the same request as the old page token
    snapshot = push.snapshot(db.session, conn)
    (token,) = TOKEN_RE.findall(snapshot)
    assert token == conn.csrf_token and token != socket_request
    validate_csrf(token)


def test_a_socket_open_for_half_the_limit_is_sent_a_new_token(app, socket_request):
    app.config["WTF_CSRF_TIME_LIMIT"] = 60
    conn = Connection(user_id("alice"), maxsize=8)
    csrf.issue(conn)
    assert csrf.renewal(conn) == ""  # just issued
    first = conn.csrf_token
    conn.csrf_issued_at -= 30  # half the limit ago
    with time_machine.travel(time.time() + 30, tick=False):
        (renewed,) = TOKEN_RE.findall(csrf.renewal(conn))
    assert renewed == conn.csrf_token != first
    assert csrf.renewal(conn) == ""
    with time_machine.travel(time.time() + 61, tick=False):
        with pytest.raises(ValidationError):
            validate_csrf(first)
        validate_csrf(renewed)


def test_without_a_time_limit_the_token_is_never_renewed(app, socket_request):
    app.config["WTF_CSRF_TIME_LIMIT"] = None
    conn = Connection(user_id("alice"), maxsize=8)
    csrf.issue(conn)
    conn.csrf_issued_at -= 10**6
    assert csrf.renewal(conn) == ""
    assert "csrf_token" in g
