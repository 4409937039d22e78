"""One rendering of a new notification for every socket: the same bytes as rendering each."""

import re
import threading
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask.sessions import SecureCookieSessionInterface
from flask_login import login_user
from flask_wtf.csrf import generate_csrf
from jinja2 import ChoiceLoader, DictLoader

from app import users
from tests.conftest import user_id
from tests.support import wait_until
from tocsin import notify_many
from tocsin.extensions import db
from tocsin.live import anonymous, push, stencil
from tocsin.live.coalesce import Coalescer
from tocsin.live.connection import Connection
from tocsin.notifications import queries
from tocsin.notifications.snooze import Banner


def socket_of(name: str, app) -> Connection:
    """A connection as ws() makes it: its user's id and its session's CSRF token."""
    conn = Connection(user_id(name), maxsize=8)
    conn.csrf_token = generate_csrf()
    return conn


def ordinary(conn: Connection, nid: int, flag: str | None = None) -> str:
    """The push rendered without a stencil, the way every socket used to; `flag` is the
    event's "quiet" (no toast) or "sound"."""
    new = queries.by_ids(db.session, conn.user_id, {nid})
    count = queries.unread_count(db.session, conn.user_id)
    flags = {flag: {nid}} if flag else {}
    body = stencil.body(new, csrf_token=lambda: conn.csrf_token, **flags)
    return body + stencil.for_app().badge(count)


def created(nid: int, flag: str | None) -> dict:
    """The live channel's event for `nid`, with the policy's flag if any."""
    return {"kind": "created", "ids": [nid], **({flag: True} if flag else {})}


@pytest.fixture
def logged_in(app):
    with app.test_request_context("/notifications/ws"):
        login_user(users.by_username(db.session, "alice"))
        yield


def test_a_fan_out_renders_once_and_each_socket_gets_its_own_id_token_and_count(app, logged_in):
    for name in ("carol", "dave"):
        users.create(db.session, name, "tocsin")
    notify_many(["bob"], "comment", title="Earlier, for bob alone")
    ids = notify_many(
        ["alice", "bob", "carol"],
        "comment",
        title="Deploy <b>done</b>",
        url="https://example.com/d/1",
    )
    stencils = stencil.for_app()
    before = len(stencils._stencils)
    for name, nid in zip(("alice", "bob", "carol"), ids, strict=True):
        conn = socket_of(name, app)
        conn.csrf_token = f"token-of-{name}"
        message = push.render(db.session, conn, [{"kind": "created", "ids": [nid]}])
        assert conn.sent_ids == {nid}
        assert message == ordinary(conn, nid)
        assert f'id="notification-{nid}"' in message and f"token-of-{name}" in message
        assert str(stencils.id_token) not in message and stencils.csrf_token not in message
        assert "&lt;b&gt;done&lt;/b&gt;" in message
    assert len(stencils._stencils) == before + 1  # one rendering for the three sockets


def test_each_user_gets_their_own_count(app, logged_in):
    notify_many(["bob"], "comment", title="one for bob")
    ids = dict(
        zip(("alice", "bob"), notify_many(["alice", "bob"], "comment", title="both"), strict=True)
    )
    for name, count in (("alice", 1), ("bob", 2)):
        conn = socket_of(name, app)
        message = push.render(db.session, conn, [{"kind": "created", "ids": [ids[name]]}])
        assert f'data-count="{count}"' in message


def test_another_users_id_is_not_rendered_for_this_socket(app, logged_in):
    (bobs,) = notify_many(["bob"], "comment", title="bob's secret")
    conn = socket_of("alice", app)
    message = push.render(db.session, conn, [{"kind": "created", "ids": [bobs]}])
    assert "secret" not in message and conn.sent_ids == set()
    assert 'data-count="0"' in message


def test_content_holding_a_stand_in_is_rendered_the_ordinary_way(app, logged_in):
    stencils = stencil.for_app()
    (nid,) = notify_many(
        ["alice"], "comment", title=f"look: {stencils.id_token} {stencils.csrf_token}"
    )
    conn = socket_of("alice", app)
    message = push.render(db.session, conn, [{"kind": "created", "ids": [nid]}])
    assert message == ordinary(conn, nid)
    assert f"look: {stencils.id_token} {stencils.csrf_token}" in message


def test_several_new_rows_are_one_block_each_oldest_first(app, logged_in):
    ids = [notify_many(["alice"], "comment", title=f"n{i}")[0] for i in range(3)]
    conn = socket_of("alice", app)
    message = push.render(db.session, conn, [{"kind": "created", "ids": ids[::-1]}])
    assert conn.sent_ids == set(ids)
    one_each = "".join(
        stencil.body(
            queries.by_ids(db.session, conn.user_id, {nid}), csrf_token=lambda: conn.csrf_token
        )
        for nid in ids
    )
    assert message == one_each + stencil.for_app().badge(3)
    assert message.count('<ul id="notification-list" hx-swap-oob="afterbegin">') == 3
    assert [int(i) for i in re.findall(r'id="toast-(\d+)"', message)] == ids


def test_concurrent_lookups_share_queries():
    calls: list[set] = []
    release = threading.Event()

    def fetch(keys: set) -> dict:
        calls.append(set(keys))
        if len(calls) == 1:
            release.wait(5)  # the first query is slow; everyone else asks meanwhile
        return {k: k * 10 for k in keys}

    coalescer = Coalescer(fetch)
    results: dict[int, dict] = {}

    def ask(k: int) -> None:
        results[k] = coalescer.get([k])

    first = threading.Thread(target=ask, args=(0,))
    first.start()
    wait_until(lambda: calls, timeout=5, interval=0.001, what="the first query")
    rest = [threading.Thread(target=ask, args=(k,)) for k in range(1, 50)]
    for t in rest:
        t.start()
    release.set()
    for t in [first, *rest]:
        t.join(5)
    assert all(results[k][k] == k * 10 for k in range(50))
    assert calls[0] == {0}
    assert len(calls) < 10  # the 49 who asked during the first query shared few queries
    assert set().union(*calls) == set(range(50))


def test_a_failed_lookup_fails_every_asker_and_the_next_one_retries():
    attempts = []

    def fetch(keys: set) -> dict:
        attempts.append(keys)
        if len(attempts) == 1:
            raise OSError("database down")
        return {k: True for k in keys}

    coalescer = Coalescer(fetch)
    with pytest.raises(RuntimeError) as caught:
        coalescer.get([1])
    assert isinstance(caught.value.__cause__, OSError)
    assert coalescer.get([1]) == {1: True}


def test_a_snapshot_from_stencils_is_the_ordinary_snapshot(app, logged_in):
    for i in range(3):
        notify_many(["alice"], "comment", title=f"snap {i}", url=f"/x/{i}")
    notify_many(["alice"], "friend_request", title="with actions", actor="bob")
    for actor in ("bob", "carol", "dave"):  # a grown group: its count, actors and disclosure
        notify_many(["alice"], "comment", title="grouped", actor=actor, group_key="g")
    conn = socket_of("alice", app)
    conn.csrf_token = "token-of-this-socket"
    shared = push.snapshot(db.session, conn)
    page = queries.page(db.session, conn.user_id, None, 20)
    ordinary_snapshot = anonymous.render(
        "tocsin/_snapshot.html",
        page=page,
        items_html=None,
        up_to=page.newest_id,
        count=queries.unread_count(db.session, conn.user_id),
        toasts=[],
        missed=None,
        snooze=Banner(),
        csrf_token=lambda: conn.csrf_token,
    )
    assert shared == ordinary_snapshot
    assert shared.count('<li id="notification-') == 5
    assert 'data-group-count="3"' in shared and "dave, carol and 1 other" in shared
    assert str(stencil.for_app().id_token) not in shared


#: A host's type template that greets whoever's request renders it (docs/embedding.md
#: lets a host override any template).
GREETING = (
    '{% extends "tocsin/types/_default.html" %}'
    "{% block title %}Hi {{ current_user.username }}: {{ n.title }}{% endblock %}"
)


@contextmanager
def request_of(app, name: str):
    """The socket's request context of user `name`, as ws() runs in it."""
    with app.test_request_context("/notifications/ws"):
        login_user(users.by_username(db.session, name))
        yield


def test_a_host_template_never_shows_the_rendering_users_data_to_another(app):
    app.jinja_loader = ChoiceLoader(
        [DictLoader({"tocsin/types/comment.html": GREETING}), app.jinja_loader]
    )
    with app.app_context():
        ids = dict(
            zip(
                ("alice", "bob"), notify_many(["alice", "bob"], "comment", title="Hey"), strict=True
            )
        )
    for name in ("alice", "bob"):  # alice's socket renders first, and fills the caches
        with request_of(app, name):
            conn = socket_of(name, app)
            message = push.render(db.session, conn, [{"kind": "created", "ids": [ids[name]]}])
            assert message == ordinary(conn, ids[name])
            snapshot = push.snapshot(db.session, conn)
            for html in (message, snapshot):
                assert "alice" not in html and "bob" not in html
                assert "Hi : Hey" in html  # current_user is nobody in what a socket is sent


def test_a_row_already_seen_gets_a_stencil_of_its_own(app, logged_in):
    from tocsin.notifications import seen

    users.create(db.session, "carol", "tocsin")
    names = ("alice", "bob", "carol")
    ids = dict(zip(names, notify_many(list(names), "comment", title="Same"), strict=True))
    # alice had hers on screen: her row says so (no data-unseen), bob's and carol's share one.
    seen.mark_seen(db.session, user_id("alice"), [ids["alice"]])
    stencils = stencil.for_app()
    before = len(stencils._stencils)
    for name in names:
        conn = socket_of(name, app)
        message = push.render(db.session, conn, [{"kind": "created", "ids": [ids[name]]}])
        assert message == ordinary(conn, ids[name])
        assert ("data-unseen" in message) is (name != "alice")
    assert len(stencils._stencils) == before + 2


@pytest.mark.parametrize("flag", [None, "quiet", "sound"])
def test_quiet_and_sound_pushes_from_stencils_are_the_ordinary_ones(app, logged_in, flag):
    users.create(db.session, "carol", "tocsin")
    ids = notify_many(["alice", "bob", "carol"], "comment", title="Deploy", priority="high")
    stencils = stencil.for_app()
    before = len(stencils._stencils)
    for name, nid in zip(("alice", "bob", "carol"), ids, strict=True):
        conn = socket_of(name, app)
        conn.csrf_token = f"token-of-{name}"
        message = push.render(db.session, conn, [created(nid, flag)])
        assert message == ordinary(conn, nid, flag)
        assert f'id="notification-{nid}"' in message and conn.sent_ids == {nid}
        assert (f'id="toast-{nid}"' in message) is (flag != "quiet")
        assert ("data-sound" in message) is (flag == "sound")
        assert str(stencils.id_token) not in message
    assert len(stencils._stencils) == before + 1  # one rendering per flag for the three


@pytest.mark.parametrize("flag", [None, "quiet", "sound"])
def test_quiet_and_sound_pushes_rendered_the_ordinary_way(app, logged_in, flag):
    stencils = stencil.for_app()
    (nid,) = notify_many(["alice"], "payment", title=f"holds {stencils.id_token}")
    conn = socket_of("alice", app)
    message = push.render(db.session, conn, [created(nid, flag)])  # no stencil for it
    assert message == ordinary(conn, nid, flag)
    assert (f'id="toast-{nid}"' in message) is (flag != "quiet")
    assert ("data-sound" in message) is (flag == "sound")


def test_a_batch_mixes_quiet_sound_and_plain_pushes_as_one_each(app, logged_in):
    ids = [notify_many(["alice"], "comment", title=f"n{i}", priority="high")[0] for i in range(3)]
    conn = socket_of("alice", app)
    flags = dict(zip(ids, ("quiet", "sound", None), strict=True))
    message = push.render(db.session, conn, [created(nid, flag) for nid, flag in flags.items()])
    one_each = "".join(
        stencil.body(
            queries.by_ids(db.session, conn.user_id, {nid}),
            csrf_token=lambda: conn.csrf_token,
            **({flag: {nid}} if flag else {}),
        )
        for nid, flag in flags.items()
    )
    assert message == one_each + stencil.for_app().badge(3)
    assert [int(i) for i in re.findall(r'id="toast-(\d+)"', message)] == ids[1:]
    assert message.count("data-sound") == 1


def test_lookups_read_outside_a_transaction_and_leave_the_pool_as_it_was(app, logged_in):
    """On PostgreSQL the rows and counts are read in autocommit (no BEGIN, no ROLLBACK);
    each connection goes back to the pool transactional, as every other user expects."""
    (nid,) = notify_many(["alice"], "comment", title="read without a transaction")
    postgres = db.engine.dialect.name == "postgresql"
    alice = user_id("alice")
    seen: list[tuple[str, bool]] = []
    used = []

    def record(conn, cursor, statement, params, context, executemany):
        dbapi = conn.connection.dbapi_connection
        used.append(dbapi)
        seen.append((statement.split()[0].upper(), getattr(dbapi, "autocommit", False)))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        stencils = stencil.for_app()
        assert stencils.rows.get({nid})[nid].title == "read without a transaction"
        assert stencils.counts.get([alice]) == {alice: 1}
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert [verb for verb, _ in seen] == ["SELECT", "SELECT"]
    assert all(autocommit is postgres for _, autocommit in seen)
    # Back in the pool, the same connections open a transaction again.
    assert all(getattr(dbapi, "autocommit", False) is False for dbapi in used)


def test_a_snapshots_new_items_are_rendered_together_once(app, logged_in, monkeypatch):
    for i in range(4):
        notify_many(["alice"], "comment", title=f"together {i}", url=f"/t/{i}")
    batches: list[int] = []
    render_each = anonymous.render_each

    def counted(template, contexts):
        batches.append(len(contexts))
        return render_each(template, contexts)

    monkeypatch.setattr(anonymous, "render_each", counted)
    conn = socket_of("alice", app)
    first = push.snapshot(db.session, conn)
    assert batches == [4]  # one clean request for the four, not four
    assert push.snapshot(db.session, conn) == first and batches == [4]  # then stencils
    assert first.count('<li id="notification-') == 4


def test_a_snapshot_row_holding_a_stand_in_is_rendered_the_ordinary_way(app, logged_in):
    token = stencil.for_app().csrf_token
    notify_many(["alice"], "comment", title="plain")
    notify_many(["alice"], "comment", title=f"holds {token}")
    conn = socket_of("alice", app)
    conn.csrf_token = "token-of-this-socket"
    assert (
        stencil.for_app().items(queries.page(db.session, conn.user_id, None, 20).items, "t") is None
    )
    snapshot = push.snapshot(db.session, conn)
    assert f"holds {token}" in snapshot and snapshot.count('<li id="notification-') == 2
    assert snapshot.count("token-of-this-socket") > 2  # the socket's token, not a stand-in


def test_each_base_gets_its_own_paths_and_icons(app):
    with app.app_context():
        ids = [notify_many(["alice"], "comment", title=f"where {i}")[0] for i in range(3)]
    # One app, bases in turn: what is built once per base never crosses to another.
    for root, nid in zip(["/one", "/two", "/one"], ids, strict=True):
        with app.test_request_context("/notifications/ws", base_url=f"http://host.example{root}"):
            login_user(users.by_username(db.session, "alice"))
            conn = socket_of("alice", app)
            message = push.render(db.session, conn, [{"kind": "created", "ids": [nid]}])
            snapshot = push.snapshot(db.session, conn)
        for html in (message, snapshot):
            assert f'hx-post="{root}/notifications/{nid}/read"' in html
            assert f'href="{root}/tocsin/static/tocsin/icons.svg#' in html
            other = "/two" if root == "/one" else "/one"
            assert f'"{other}/' not in html


def test_a_host_url_default_is_applied_to_every_icon(app, logged_in):
    built = iter(range(100))
    app.url_defaults(lambda endpoint, values: values.setdefault("v", next(built)))
    first = anonymous.call("tocsin/_icon.html", "icon", "check")
    assert "icons.svg?v=" in first
    assert anonymous.call("tocsin/_icon.html", "icon", "check") != first  # built each time


def test_a_host_session_interface_opens_the_clean_requests_session(app, logged_in):
    opened: list[dict] = []

    class Mine(SecureCookieSessionInterface):
        def open_session(self, app, request):
            opened.append(request.cookies.to_dict())
            return super().open_session(app, request)

    app.session_interface = Mine()
    assert "icons.svg#check" in anonymous.call("tocsin/_icon.html", "icon", "check")
    assert opened == [{}]  # its own session, for a request with no cookie
