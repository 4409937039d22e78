"""Fixtures: an app on SQLite and on PostgreSQL, a test client, and a login helper."""

import atexit
import functools
import os

import pytest
import sqlalchemy as sa

from app import create_app, users
from tests.email_support import SmtpServer
from tests.support import CSRF_RE
from tocsin.analytics.flush import Flusher
from tocsin.extensions import db
from tocsin.notifications import service
from tocsin.notifications.sweeper import Sweeper

#: The real PostgreSQL server; tests use a schema of their own so they never touch others.
POSTGRES_URL = os.environ.get(
    "TOCSIN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
#: One schema per test run, so concurrent runs on one server never meet.
POSTGRES_SCHEMA = f"tocsin_pytest_{os.getpid()}"
#: CI sets this: an unreachable PostgreSQL or Redis then fails instead of skipping.
REQUIRE_SERVICES = os.environ.get("TOCSIN_REQUIRE_SERVICES") == "1"


def postgres_url(schema: str = POSTGRES_SCHEMA, fresh: bool = False) -> str:
    """Return a URL that works in `schema` (emptied first if `fresh`), or skip (fail in CI)
    if PostgreSQL is unreachable."""
    engine = sa.create_engine(POSTGRES_URL)
    try:
        with engine.begin() as conn:
            if fresh:
                conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
    except sa.exc.OperationalError as exc:
        if REQUIRE_SERVICES:
            pytest.fail(f"PostgreSQL required but unreachable at {POSTGRES_URL}: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}")
    finally:
        engine.dispose()
    sep = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session", autouse=True)
def _hash_each_password_once():
    """Hash, and check, each distinct password once per run, with the real scrypt.

    A scrypt call costs about 70 ms and every app fixture made two users and most tests
    logged in: three quarters of the unit tests' time. Both functions are pure, so
    remembering their results changes no outcome.
    """
    with pytest.MonkeyPatch.context() as patch:
        generate, check = users.generate_password_hash, users.check_password_hash
        patch.setattr(users, "generate_password_hash", functools.cache(generate))
        patch.setattr(users, "check_password_hash", functools.cache(check))
        yield


@pytest.fixture(scope="session", autouse=True)
def _drop_postgres_schema():
    """Drop this run's PostgreSQL schema at the end, if the run made one."""
    yield
    engine = sa.create_engine(POSTGRES_URL)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {POSTGRES_SCHEMA} CASCADE"))
    except sa.exc.OperationalError:
        pass  # no server: nothing was created
    finally:
        engine.dispose()


@pytest.fixture(autouse=True)
def _no_thread_outlives_its_test(monkeypatch):
    """Stop the analytics flush and catch-up sweeper threads that a test started (an app
    made without TESTING, a stream served in process), and drop the flushers' exit hooks:
    else they go on into databases that later tests drop, and warn into those tests'
    logs and at the run's exit."""
    started: list[Flusher | Sweeper] = []

    def tracking(cls) -> None:
        ensure_running = cls.ensure_running

        def tracked(self) -> None:
            if self not in started:
                started.append(self)
            ensure_running(self)

        monkeypatch.setattr(cls, "ensure_running", tracked)

    tracking(Flusher)
    tracking(Sweeper)
    yield
    for thread in started:
        thread.stop()
        if isinstance(thread, Flusher):
            atexit.unregister(thread.flush_at_exit)


@pytest.fixture(autouse=True)
def no_rate_limit(monkeypatch):
    """No per-user rate limit unless a test sets one (tests/test_ratelimit*.py do): many
    tests toast one user more than the default 10 a minute, as the API limit is off in
    servers (tests/support.py). A test sets TOCSIN_RATE_LIMIT with monkeypatch to turn
    it on, in its own process and in the servers it starts."""
    monkeypatch.setenv("TOCSIN_RATE_LIMIT", "")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path) -> str:
    if request.param == "postgresql":
        return postgres_url()
    return f"sqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture
def app(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("TOCSIN_INSTANCE_PATH", str(tmp_path))
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "test"}
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
        users.create(db.session, "alice", "tocsin")
        users.create(db.session, "bob", "tocsin")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def ctx(app):
    """An app context, for calling services directly."""
    with app.app_context():
        yield


def user_id(name: str) -> int:
    return users.by_username(db.session, name).id


class AuthActions:
    """Log the test client in through the real form, CSRF token included."""

    def __init__(self, client) -> None:
        self.client = client

    def login(self, username: str = "alice", password: str = "tocsin"):
        token = CSRF_RE.search(self.client.get("/login").text).group(1)
        return self.client.post(
            "/login", data={"username": username, "password": password, "csrf_token": token}
        )

    def csrf(self) -> str:
        return CSRF_RE.search(self.client.get("/notifications").text).group(1)

    def post(self, path: str, data: dict | None = None, htmx: bool = False, headers=None):
        headers = {**({"HX-Request": "true"} if htmx else {}), **(headers or {})}
        return self.client.post(
            path, data={"csrf_token": self.csrf(), **(data or {})}, headers=headers
        )


@pytest.fixture
def auth(client) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def alice(auth) -> AuthActions:
    """The test client, logged in as alice."""
    auth.login()
    return auth


@pytest.fixture
def notify(app):
    """Create a notification for a user (alice by default) through the service; its id."""

    def notify(name="alice", **fields):
        fields.setdefault("type", "comment")
        fields.setdefault("title", "Hello")
        with app.app_context():
            return service.create(db.session, user_id(name), **fields).id

    return notify


#: The real Redis server for broker tests.
REDIS_URL = os.environ.get("TOCSIN_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_url() -> str:
    """Return the real Redis URL, or skip (fail in CI) if it is unreachable."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        if REQUIRE_SERVICES:
            pytest.fail(f"Redis required but unreachable at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis not reachable at {REDIS_URL}")
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def channel_prefix() -> str:
    """A channel prefix of this test's own: pub/sub is global to the Redis server."""
    import uuid

    return f"tocsin-test-{uuid.uuid4().hex[:8]}"


class ApiClient:
    """The test client with an API token in every request's Authorization header."""

    def __init__(self, client, token: str) -> None:
        self.client = client
        self.token = token

    def headers(self, extra: dict | None = None) -> dict:
        return {"Authorization": f"Bearer {self.token}", **(extra or {})}

    def post(self, path: str, json=None, headers: dict | None = None, **kwargs):
        return self.client.post(path, json=json, headers=self.headers(headers), **kwargs)

    def get(self, path: str, headers: dict | None = None, **kwargs):
        return self.client.get(path, headers=self.headers(headers), **kwargs)

    def publish(self, headers: dict | None = None, **fields):
        """POST a notification: to alice, type comment, title "Hello" unless told otherwise."""
        body = {"recipients": ["alice"], "type": "comment", "title": "Hello", **fields}
        return self.post("/api/v1/notifications", json=body, headers=headers)


@pytest.fixture
def api(app, client) -> ApiClient:
    """A test client holding a fresh API token."""
    from tocsin.api import tokens

    with app.app_context():
        _, secret = tokens.create(db.session, "tests")
    return ApiClient(client, secret)


@pytest.fixture
def smtp():
    """A real SMTP server (aiosmtpd) on a free port, for the email channel's tests."""
    server = SmtpServer().start()
    yield server
    server.stop()
