"""Database set-up: the embedded SQLite default, its pragmas and the secret key file."""

import functools
import math
import os
import secrets
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from . import config, idle_ping, private_files
from .extensions import store


def configure(app: Flask) -> None:
    """Fill in the standalone app's embedded defaults: a SQLite file and a persistent secret."""
    instance = Path(app.instance_path)
    private_files.private_dir(instance)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'tocsin.sqlite3'}"
    private_files.private_sqlite(app.config["SQLALCHEMY_DATABASE_URI"])
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance / "secret_key")


def engine_options(app: Flask) -> None:
    """Choose pool and timeouts: a lock or outage answers 503 in time; a restart costs nothing.

    Fills SQLALCHEMY_ENGINE_OPTIONS (what the app set wins); Flask-SQLAlchemy reads them
    when it makes the engine, so a host whose db is set up before Tocsin calls this first.
    """
    config.init_app(app)
    uri = app.config.get("SQLALCHEMY_DATABASE_URI") or ""
    options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    lock_timeout = _lock_timeout(app)
    if uri.startswith("sqlite"):
        options.setdefault("connect_args", {"timeout": lock_timeout, "check_same_thread": False})
        return
    options.setdefault("pool_size", app.config.get("TOCSIN_DB_POOL_SIZE", 20))
    options.setdefault("max_overflow", app.config.get("TOCSIN_DB_MAX_OVERFLOW", 10))
    # After a restart of PostgreSQL every pooled connection is dead, and the first request
    # to draw one answered 500. init_app pings a connection on checkout if it sat idle
    # (idle_ping.py): a ping on every checkout was a sixth of a publish's round trips.
    options.setdefault("pool_pre_ping", False)
    if "connect_timeout" not in uri:
        # An unreachable host would otherwise hold the request for TCP's ~2 minutes.
        connect_args = options.setdefault("connect_args", {})
        connect_args.setdefault("connect_timeout", max(2, math.ceil(lock_timeout)))


def _lock_timeout(app: Flask) -> float:
    return float(app.config.get("TOCSIN_DB_LOCK_TIMEOUT", 5))


def _instance_secret(path: Path) -> str:
    """Read the instance secret, creating it once (sessions survive restarts)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        private_files.restrict(path)
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32))
    return path.read_text().strip()


def init_app(app: Flask) -> None:
    """Set SQLite to WAL and the lock timeouts, so the server, CLI and workers can share it."""
    with app.app_context():
        engine = store.engine
    lock_ms = int(_lock_timeout(app) * 1000)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", functools.partial(_sqlite_pragmas, lock_ms))
    elif engine.dialect.name == "postgresql":
        statement_ms = int(float(app.config.get("TOCSIN_DB_STATEMENT_TIMEOUT", 60)) * 1000)
        timeouts = functools.partial(_postgres_timeouts, lock_ms, statement_ms)
        sa.event.listen(engine, "connect", timeouts)
        if not engine.pool._pre_ping:  # a host that asked for SQLAlchemy's own keeps it
            idle_ping.install(engine)


def _sqlite_pragmas(busy_ms: int, dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _postgres_timeouts(lock_ms: int, statement_ms: int, dbapi_conn, _record) -> None:
    # Session settings, committed: the pool's rollback on return must not undo them.
    cur = dbapi_conn.cursor()
    cur.execute("SELECT set_config('lock_timeout', %s, false)", (f"{lock_ms}ms",))
    cur.execute("SELECT set_config('statement_timeout', %s, false)", (f"{statement_ms}ms",))
    cur.close()
    dbapi_conn.commit()
