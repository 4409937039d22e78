"""The event stream's framing, its resume id, and what a resumed stream is sent."""

import re

import pytest
from flask_login import login_user
from flask_wtf.csrf import generate_csrf
from werkzeug.datastructures import Headers, MultiDict
from werkzeug.exceptions import BadRequest

from app import users
from tests.conftest import user_id
from tests.support import badge_count, item_ids
from tocsin import notify_many
from tocsin.extensions import db
from tocsin.live import push, sse
from tocsin.live.connection import Connection


def test_a_frame_has_one_data_line_per_line_and_its_id():
    assert sse.frame("<a>\n<b>", 7) == "id: 7\ndata: <a>\ndata: <b>\n\n"


def test_carriage_returns_cannot_end_a_data_line_early():
    assert sse.frame("a\r\nb\rc") == "data: a\ndata: b\ndata: c\n\n"


def test_retry_and_heartbeat_fields():
    assert sse.retry(1500) == "retry: 1500\n\n"
    assert sse.comment() == ": ping\n\n"


@pytest.mark.parametrize(
    ("header", "arg", "expected"),
    [(None, None, None), ("12", None, 12), (None, "9", 9), ("12", "9", 12), (" 3 ", None, 3)],
)
def test_the_header_wins_over_the_query_fallback(header, arg, expected):
    headers = Headers({"Last-Event-ID": header} if header is not None else {})
    args = MultiDict({sse.LAST_ID_ARG: arg} if arg is not None else {})
    assert sse.last_event_id(headers, args) == expected


@pytest.mark.parametrize("bad", ["-1", "1e3", "x", "٣", "9" * 30])
def test_a_malformed_last_event_id_is_a_400(bad):
    with pytest.raises(BadRequest):
        sse.last_event_id(Headers({"Last-Event-ID": bad}), MultiDict())


@pytest.fixture
def conn(app):
    with app.test_request_context("/notifications/stream"):
        login_user(users.by_username(db.session, "alice"))
        conn = Connection(user_id("alice"), maxsize=8)
        conn.csrf_token = generate_csrf()
        yield conn


def test_replay_sends_exactly_the_rows_after_the_id_with_toasts_and_badge(app, conn):
    first = [notify_many(["alice"], "comment", title=f"old {i}")[0] for i in range(2)]
    later = [notify_many(["alice"], "comment", title=f"new {i}")[0] for i in range(2)]
    message = sse.replay(db.session, conn, first[-1])
    assert item_ids(message) == later[::-1]
    # A resume is a reconnect: one "while you were offline" toast, not one per row.
    assert not re.search(r'id="toast-\d+"', message)
    assert "toast-new-" in message and 'data-count="2"' in message
    assert "while you were offline" in message
    assert badge_count(message) == 4
    assert sse.accounted(conn) == later[-1]
    # Their created events, arriving after the replay, are not pushed a second time.
    again = push.render(db.session, conn, [{"kind": "created", "ids": later}])
    assert item_ids(again) == [] and "toast-" not in again


def test_replay_at_the_newest_id_sends_only_the_badge(app, conn):
    nid = notify_many(["alice"], "comment", title="seen")[0]
    message = sse.replay(db.session, conn, nid)
    assert item_ids(message) == [] and badge_count(message) == 1
    assert sse.accounted(conn) == nid


def test_many_missed_rows_get_one_summary_toast(app, conn):
    start = notify_many(["alice"], "comment", title="start")[0]
    for i in range(push.MISSED_TOASTS + 2):
        notify_many(["alice"], "comment", title=f"n{i}")
    message = sse.replay(db.session, conn, start)
    assert len(item_ids(message)) == push.MISSED_TOASTS + 2
    assert "toast-new-" in message and 'data-count="5"' in message
    assert not re.search(r'id="toast-\d+"', message)


def test_an_id_more_than_a_page_behind_asks_for_a_snapshot(app, conn):
    app.config["TOCSIN_PAGE_SIZE"] = 3
    start = notify_many(["alice"], "comment", title="start")[0]
    for i in range(4):
        notify_many(["alice"], "comment", title=f"n{i}")
    assert sse.replay(db.session, conn, start) is None


def test_an_id_past_the_newest_asks_for_a_snapshot(app, conn):
    nid = notify_many(["alice"], "comment", title="only")[0]
    notify_many(["bob"], "comment", title="bob's, higher")
    assert sse.replay(db.session, conn, nid + 1) is None


def test_nothing_of_another_user_is_replayed(app, conn):
    start = notify_many(["alice"], "comment", title="start")[0]
    notify_many(["bob"], "comment", title="for bob")
    mine = notify_many(["alice"], "comment", title="for alice")[0]
    message = sse.replay(db.session, conn, start)
    assert item_ids(message) == [mine] and "for bob" not in message
