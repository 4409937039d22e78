"""Database set-up: the embedded SQLite default, its pragmas and the secret key file."""

import os
import secrets
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from . import private_files
from .extensions import store


def configure(app: Flask) -> None:
    """Fill in the embedded defaults: a SQLite file and a persistent secret."""
    instance = Path(app.instance_path)
    private_files.private_dir(instance)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'tocsin.sqlite3'}"
    private_files.private_sqlite(app.config["SQLALCHEMY_DATABASE_URI"])
    options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        options.setdefault("connect_args", {"timeout": 15, "check_same_thread": False})
    else:
        options.setdefault("pool_size", app.config.get("TOCSIN_DB_POOL_SIZE", 20))
        options.setdefault("max_overflow", app.config.get("TOCSIN_DB_MAX_OVERFLOW", 10))
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance / "secret_key")


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
    """Set SQLite to WAL with a busy timeout so the server, CLI and workers can share it."""
    with app.app_context():
        engine = store.engine
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=15000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()

