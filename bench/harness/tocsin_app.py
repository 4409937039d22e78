"""The application, as the benchmarks use it in their own process: the one harness module
that imports `app` and `tocsin`.

Users are made with the standalone app's `users.create` (a password hash each, for logins over
HTTP), or in bulk with one shared hash and a session cookie made by the app itself: a
fan-out to 10,000 users cannot post 10,000 login forms. `session_cookies` runs
Flask-Login's `login_user` in a request context shaped like the load client's handshake
(same address and User-Agent), which runs Tocsin's own login hooks, then Flask's cookie
serializer: the server cannot tell these cookies from ones its login form set.
"""

import time

import sqlalchemy as sa
from flask import Flask, session
from flask_login import login_user
from websockets.http11 import USER_AGENT
from werkzeug.security import generate_password_hash

from app import create_app, users
from app.models import User
from tocsin import notify, notify_many, state
from tocsin.api import tokens
from tocsin.extensions import db
from tocsin.models import Notification, UnreadCounter, utcnow
from tocsin.notifications import service
from tocsin.notifications.validation import clean

from .users import PASSWORD

#: The same column values on every ingest path (the title adds the run stamp and a number).
CONTENT = {"body": "Someone replied in a thread you follow.", "url": "/threads/7", "actor": "bench"}
TYPE = "comment"


def make_app(db_url: str | None, secret: str, **config) -> Flask:
    """Create the app on `db_url` (None: the instance's own database).

    No per-user rate limit unless `config` sets TOCSIN_RATE_LIMIT: benchmarks publish to
    one user far more than 10 a minute, and measure delivery, not holds."""
    settings = {"SECRET_KEY": secret, "TOCSIN_RATE_LIMIT": "", **config}
    if db_url:
        settings["SQLALCHEMY_DATABASE_URI"] = db_url
    return create_app(settings)


def dispose(app: Flask) -> None:
    """Write this process's analytics events while the bench's database still exists (at
    exit it is gone: "not written at exit"), stop the broker listener, close connections."""
    tocsin = state.of(app)
    flusher = getattr(tocsin, "analytics_flusher", None)  # None on commits before it
    if flusher is not None:
        flusher.flush_now()
    tocsin.broker.stop()
    with app.app_context():
        db.engine.dispose()


def scalar(app: Flask, sql: str, **params):
    with app.app_context():
        try:
            return db.session.scalar(sa.text(sql), params)
        finally:
            db.session.remove()


def rows(app: Flask, sql: str) -> list:
    with app.app_context():
        try:
            return db.session.execute(sa.text(sql)).all()
        finally:
            db.session.remove()


def database_version(app: Flask) -> str:
    postgres = db_dialect(app) == "postgresql"
    return scalar(app, "SHOW server_version" if postgres else "SELECT sqlite_version()")


def db_dialect(app: Flask) -> str:
    with app.app_context():
        return db.engine.dialect.name


def create_users(app: Flask, names: dict[str, str], password: str = PASSWORD) -> dict[str, int]:
    """Create the tables and the users (key -> name), a hash each; return key -> id."""
    with app.app_context():
        db.create_all()
        ids = {k: users.create(db.session, name, password).id for k, name in names.items()}
        db.session.remove()
    return ids


def create_users_bulk(
    app: Flask,
    names: dict[str, str],
    password: str = PASSWORD,
    token: str | None = None,
    counters: bool = False,
):
    """Create the tables and the users sharing one password hash (with a counter row each
    if `counters`); return key -> id and, if `token` names one, an API token's secret."""
    pw_hash = generate_password_hash(password)  # scrypt: once, not once per user
    with app.app_context():
        db.create_all()
        db.session.execute(
            sa.insert(User), [{"username": n, "password_hash": pw_hash} for n in names.values()]
        )
        found = dict(
            db.session.execute(
                sa.select(User.username, User.id).where(User.username.in_(list(names.values())))
            ).all()
        )
        ids = {k: found[n] for k, n in names.items()}
        if counters:
            db.session.add_all(UnreadCounter(user_id=uid, unread=0) for uid in ids.values())
        db.session.commit()
        secret = tokens.create(db.session, token)[1] if token else None
        db.session.remove()
    return ids, secret


def session_cookies(app: Flask, user_ids: list[int]) -> dict[int, str]:
    """Log each user in through Flask-Login in a request context; return id -> Cookie header."""
    serializer = app.session_interface.get_signing_serializer(app)
    name = app.config["SESSION_COOKIE_NAME"]
    cookies = {}
    with app.app_context():
        for uid in user_ids:
            with app.test_request_context(
                "/login",
                method="POST",
                headers={"User-Agent": USER_AGENT},
                environ_base={"REMOTE_ADDR": "127.0.0.1"},
            ):
                login_user(db.session.get(User, uid))
                cookies[uid] = f"{name}={serializer.dumps(dict(session))}"
            db.session.remove()
    return cookies


def user_id(app: Flask, name: str) -> int:
    with app.app_context():
        try:
            return users.by_username(db.session, name).id
        finally:
            db.session.remove()


def create(app: Flask, user_id: int, title: str) -> int:
    """`service.create()` of one notification: insert, counter, commit, the broker's publish."""
    with app.app_context():
        try:
            return service.create(db.session, user_id, type=TYPE, title=title).id
        finally:
            db.session.remove()


def timed_create(app: Flask, user_id: int, title: str) -> tuple[int, float, float, float]:
    """Create one notification; return its id, wall time, perf time before, and after."""
    with app.app_context():
        wall = time.time()
        start = time.perf_counter()
        notification = service.create(db.session, user_id, type=TYPE, title=title)
        returned = time.perf_counter()
        nid = notification.id
        db.session.remove()
    return nid, wall, start, returned


def publisher(app: Flask, user_ids: dict[str, int] | None = None):
    """`publish(user_id, stamp) -> id` through `service.create()`, `t=<stamp>` in the title;
    `.broadcast(stamp)` is one `notify_many()` to every user of `user_ids` ([id, key] pairs)."""

    def publish(user_id: int, stamp: int) -> int:
        return create(app, user_id, f"t={stamp}")

    def broadcast(stamp: int) -> list[list]:
        keys = list(user_ids or {})
        ids = fan_out(app, [user_ids[k] for k in keys], f"t={stamp}")
        return [[nid, key] for nid, key in zip(ids, keys, strict=True)]

    publish.broadcast = broadcast
    publish.close = lambda: None
    return publish


def fan_out(app: Flask, user_ids: list[int], title: str, **content) -> list[int]:
    """One `notify_many()` call: a row each, one commit, one broker pipeline."""
    with app.app_context():
        try:
            return notify_many(user_ids, TYPE, title=title, **content)
        finally:
            db.session.remove()


def seed(app: Flask, user_ids: dict[str, int], per_user: int) -> None:
    """Give every user `per_user` notifications through `service.create()`."""
    with app.app_context():
        for _ in range(per_user):
            for uid in user_ids.values():
                service.create(db.session, uid, type=TYPE, title="before the storm")
        db.session.remove()


def insert_loop(app: Flask, todo: list[tuple[int, str]], titles: list[str]) -> None:
    """INSERT + COMMIT per row through SQLAlchemy Core: the row Tocsin would write, nothing
    else (no counter, no broker, no push), through the app's own engine and pool."""
    with app.app_context():
        engine = db.engine
        fields = clean(type=TYPE, title="x", **CONTENT).__dict__
    insert = Notification.__table__.insert()
    with engine.connect() as conn:
        for (uid, _key), title in zip(todo, titles, strict=True):
            conn.execute(insert, {**fields, "title": title, "user_id": uid, "created_at": utcnow()})
            conn.commit()


def notify_loop(app: Flask, todo: list[tuple[int, str]], titles: list[str], groups=None):
    """`notify()` once per notification in one app context (a job's loop), with the group
    key `groups[k]` if given; [id, key] pairs."""
    items, groups = [], groups or [None] * len(todo)
    with app.app_context():
        for (uid, key), title, group in zip(todo, titles, groups, strict=True):
            items.append([notify(uid, TYPE, title, group_key=group, **CONTENT).id, key])
        db.session.remove()
    return items


def notify_many_loop(app: Flask, chunks: list, titles: list[str], groups=None):
    """`notify_many()` once per chunk of (user id, key), one commit each, with the group
    key `groups[k]` if given; [id, key] pairs."""
    items, groups = [], groups or [None] * len(chunks)
    with app.app_context():
        for chunk, title, group in zip(chunks, titles, groups, strict=True):
            uids = [uid for uid, _ in chunk]
            ids = notify_many(uids, TYPE, title, group_key=group, **CONTENT)
            items += [[nid, key] for nid, (_, key) in zip(ids, chunk, strict=True)]
        db.session.remove()
    return items


def count_titled(app: Flask, prefix: str) -> int:
    """Rows whose title starts with `prefix`: what was really committed."""
    with app.app_context():
        try:
            return db.session.scalar(
                sa.select(sa.func.count())
                .select_from(Notification)
                .where(Notification.title.like(f"{prefix}%"))
            )
        finally:
            db.session.remove()


def has_table(app: Flask, name: str) -> bool:
    """Whether the app's database has table `name` (the preferences table is newer than
    some commits the bench is run on)."""
    with app.app_context():
        return sa.inspect(db.engine).has_table(name)


def execute(app: Flask, *statements) -> None:
    """Run each (statement, parameters) in one transaction of the app's session and commit:
    rows written by table name, so the bench also runs on commits without some models."""
    with app.app_context():
        for stmt, params in statements:
            db.session.execute(stmt, params)
        db.session.commit()
        db.session.remove()


def queued_jobs(app: Flask) -> tuple[int, int]:
    """Jobs on the app's Huey queue: (waiting to be read, in the schedule of a consumer)."""
    huey = state.of(app).queue.huey
    return huey.pending_count(), huey.scheduled_count()


def counted_fan_out(
    app: Flask, user_ids: list[int], title: str, **content
) -> tuple[list[int], int, float, float]:
    """`fan_out()` with its SQL statements counted; return the ids, the count, the seconds
    and this process's CPU seconds (the database server's are not in them)."""
    counted = [0]

    def count(*_args) -> None:
        counted[0] += 1

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        start, cpu = time.perf_counter(), time.process_time()
        ids = fan_out(app, user_ids, title, **content)
        took, cpu = time.perf_counter() - start, time.process_time() - cpu
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return ids, counted[0], took, cpu
