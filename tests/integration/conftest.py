"""A real Tocsin server in its own process, sharing the test's database."""

import pytest

from app import create_app, users
from tests.support import HttpSession, LiveServer, server_env
from tocsin.extensions import db
from tocsin.notifications import service


@pytest.fixture
def publisher(database_url, tmp_path, monkeypatch):
    """An app in the test process: to the server, a separate publishing process."""
    monkeypatch.setenv("TOCSIN_INSTANCE_PATH", str(tmp_path))
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "test-secret"})
    with app.app_context():
        db.drop_all()
        db.create_all()
        for name in ("alice", "bob"):
            users.create(db.session, name, "tocsin")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def server_settings() -> dict:
    """Extra TOCSIN_* settings for the server; override in a test module."""
    return {}


@pytest.fixture
def server(publisher, database_url, tmp_path, server_settings):
    srv = LiveServer(server_env(tmp_path, database_url, **server_settings)).start()
    yield srv
    srv.stop()


@pytest.fixture
def send(publisher):
    def send(name="alice", **fields) -> int:
        fields.setdefault("type", "comment")
        fields.setdefault("title", "Hello")
        with publisher.app_context():
            user = users.by_username(db.session, name)
            return service.create(db.session, user.id, **fields).id

    return send


@pytest.fixture
def login(server):
    def login(name="alice") -> HttpSession:
        return HttpSession(server.url).login(name)

    return login
