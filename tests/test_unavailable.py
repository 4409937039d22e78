"""A locked or unreachable database answers 503 with Retry-After, saves nothing, pushes nothing.

The lock is real: another connection holds SQLite's write lock (BEGIN IMMEDIATE) or
PostgreSQL row locks (SELECT ... FOR UPDATE), and the app waits its lock timeout, lowered
to 0.2 s here so that the test does not wait the default 5 s.
"""

import sqlite3
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from app import create_app
from tests.conftest import user_id
from tests.support import free_port
from tocsin import state
from tocsin.extensions import db
from tocsin.live.connection import Connection
from tocsin.models import BrokerEvent, IdempotencyKey, Notification
from tocsin.notifications import queries, service
from tocsin.unavailable import is_outage

NOT_SAVED = "Not saved"


@pytest.fixture(autouse=True)
def short_lock_timeout(monkeypatch):
    monkeypatch.setenv("TOCSIN_DB_LOCK_TIMEOUT", "0.2")


@contextmanager
def write_lock(app, user: str = "alice"):
    """Hold a lock every write for `user` needs, from a connection of another process's kind."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        conn = sqlite3.connect(sa.engine.make_url(uri).database, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")  # the database's one write lock
        try:
            yield
        finally:
            conn.rollback()
            conn.close()
        return
    with app.app_context():
        uid = user_id(user)
    engine = sa.create_engine(uri)
    try:
        with engine.connect() as conn:
            # Every write for the user (publish, read, read-all, action) moves this counter,
            # which appears with the user's first notification: make it if need be.
            conn.execute(
                sa.text(
                    "INSERT INTO tocsin_unread_counters (user_id, unread) VALUES (:u, 0)"
                    " ON CONFLICT (user_id) DO NOTHING"
                ),
                {"u": uid},
            )
            conn.commit()
            conn.execute(
                sa.text("SELECT * FROM tocsin_unread_counters WHERE user_id = :u FOR UPDATE"),
                {"u": uid},
            )
            yield
            conn.rollback()
    finally:
        engine.dispose()


def count(app, model, **where) -> int:
    with app.app_context():
        stmt = sa.select(sa.func.count()).select_from(model).filter_by(**where)
        return db.session.scalar(stmt)


@pytest.fixture
def alice_socket(app):
    """A connection registered for alice in the app's broker, as an open tab would be."""
    with app.app_context():
        conn = Connection(user_id("alice"), 100)
        state.of(app).registry.add(conn)
    return conn


@pytest.fixture
def unread(app):
    """Publish a notification for alice; return its id."""
    with app.app_context():
        return service.create(db.session, user_id("alice"), type="comment", title="Hi").id


def unread_count(app, name="alice") -> int:
    with app.app_context():
        return queries.unread_count(db.session, user_id(name))


def assert_503(response) -> None:
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"  # the lock timeout, rounded up


def test_locked_publish_is_503_and_the_same_key_then_succeeds_once(app, api, alice_socket):
    assert api.get("/api/v1/notifications?user=alice").status_code == 200  # token touched
    key = {"Idempotency-Key": "order-7-shipped"}
    with write_lock(app):
        response = api.publish(headers=key)
    assert_503(response)
    assert response.is_json and "nothing was saved" in response.json["error"]
    assert count(app, Notification) == 0
    assert count(app, IdempotencyKey) == 0  # neither failed nor in progress: free to retry
    assert count(app, BrokerEvent) == 0
    assert alice_socket.wait(0) == []  # nothing pushed

    first = api.publish(headers=key)
    again = api.publish(headers=key)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json["ids"] == first.json["ids"]
    assert count(app, Notification) == 1
    assert [e["kind"] for e in alice_socket.wait(0)] == ["created"]


def test_locked_api_read_is_503_and_leaves_it_unread(app, api, unread, alice_socket):
    with write_lock(app):
        response = api.post(f"/api/v1/notifications/{unread}/read?user=alice")
    assert_503(response)
    assert "error" in response.json
    assert count(app, Notification, id=unread, read_at=None) == 1
    assert unread_count(app) == 1
    assert alice_socket.wait(0) == []
    assert api.post(f"/api/v1/notifications/{unread}/read?user=alice").status_code == 200


def test_locked_htmx_read_answers_an_alert_and_nothing_else(app, auth, unread, alice_socket):
    auth.login()
    csrf = auth.csrf()
    with write_lock(app):
        response = auth.client.post(
            f"/notifications/{unread}/read",
            data={"csrf_token": csrf},
            headers={"HX-Request": "true"},
        )
    assert_503(response)
    assert response.headers["HX-Reswap"] == "none"
    html = response.text
    assert '<div id="toast-stack" hx-swap-oob="beforeend">' in html
    assert 'role="alert"' in html and NOT_SAVED in html
    assert "notification-badge" not in html and f"notification-{unread}" not in html
    assert count(app, Notification, id=unread, read_at=None) == 1
    assert unread_count(app) == 1
    assert alice_socket.wait(0) == []
    assert auth.post(f"/notifications/{unread}/read", htmx=True).status_code == 200
    assert unread_count(app) == 0


def test_locked_plain_form_read_answers_a_page(app, auth, unread):
    auth.login()
    csrf = auth.csrf()
    with write_lock(app):
        response = auth.client.post(
            f"/notifications/{unread}/read", data={"csrf_token": csrf, "next": "/notifications"}
        )
    assert_503(response)
    assert response.mimetype == "text/html"
    assert "<h1>Not saved</h1>" in response.text
    assert '<a href="/notifications">Go back</a>' in response.text
    assert unread_count(app) == 1


def test_locked_read_all_and_action_are_503(app, auth, unread, alice_socket):
    with app.app_context():
        request = service.create(
            db.session, user_id("alice"), type="friend_request", title="Friends?", actor="bob"
        ).id
    alice_socket.wait(0)  # its "created"
    auth.login()
    csrf = auth.csrf()
    htmx = {"HX-Request": "true"}
    with write_lock(app):
        read_all = auth.client.post(
            "/notifications/read-all", data={"csrf_token": csrf, "up_to": request}, headers=htmx
        )
        accept = auth.client.post(
            f"/friend-requests/{request}/accept", data={"csrf_token": csrf}, headers=htmx
        )
    for response in (read_all, accept):
        assert_503(response)
        assert NOT_SAVED in response.text
    assert unread_count(app) == 2
    assert count(app, Notification, id=request, acted_at=None) == 1
    assert alice_socket.wait(0) == []
    assert auth.post(f"/friend-requests/{request}/accept", htmx=True).status_code == 200


@pytest.fixture
def down_app(database_url, tmp_path, monkeypatch):
    """An app whose database cannot be reached: a port nobody listens on, a missing folder."""
    monkeypatch.setenv("TOCSIN_INSTANCE_PATH", str(tmp_path))
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'missing' / 'tocsin.sqlite3'}"
    else:
        url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test"})
    yield app
    with app.app_context():
        db.engine.dispose()


def test_an_unreachable_database_is_503_everywhere(down_app):
    client = down_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1"  # a login from before the outage
    api = client.post(
        "/api/v1/notifications",
        json={"recipients": ["alice"], "type": "comment", "title": "Hi"},
        headers={"Authorization": "Bearer whatever"},
    )
    panel = client.get("/notifications/panel", headers={"HX-Request": "true"})
    inbox = client.get("/notifications")
    socket = client.get(
        "/notifications/ws", headers={"Origin": "http://localhost", "Upgrade": "websocket"}
    )
    login = client.get("/login")
    page = client.get("/")
    for response in (api, panel, inbox, socket, login, page):
        assert_503(response)
    assert "error" in api.json
    assert 'role="alert"' in panel.text and "<h1>Not saved</h1>" in inbox.text


def test_a_wrong_query_is_still_a_bug_not_an_outage(tmp_path):
    conn = sqlite3.connect(tmp_path / "x.sqlite3")
    with pytest.raises(sqlite3.OperationalError) as raised:
        conn.execute("SELECT * FROM no_such_table")
    wrapped = sa.exc.OperationalError("SELECT", {}, raised.value)
    assert not is_outage(wrapped)
    locked = sa.exc.OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))
    assert is_outage(locked)


def test_the_openapi_document_lists_the_503(client):
    doc = client.get("/api/openapi.json").json
    for path in doc["paths"].values():
        for operation in path.values():
            assert "Retry-After" in operation["responses"]["503"]["headers"]


def test_every_connection_gets_the_lock_timeout(app):
    with app.app_context():
        for _ in range(2):  # a fresh connection, then one back from the pool (rolled back)
            with db.engine.connect() as conn:
                if db.engine.dialect.name == "sqlite":
                    assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 200
                else:
                    assert conn.exec_driver_sql("SHOW lock_timeout").scalar() == "200ms"
                    assert conn.exec_driver_sql("SHOW statement_timeout").scalar() == "1min"
                conn.rollback()
