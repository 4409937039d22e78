"""Database set-up: the embedded SQLite default, its pragmas, the secret key file, migrations."""

import os
import secrets
from pathlib import Path

import flask_migrate
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from .extensions import db

#: The first migration: the schema `db.create_all()` built before there were migrations.
BASELINE_REVISION = "0001"


def configure(app: Flask) -> None:
    """Fill in the embedded defaults: a SQLite file and a persistent secret."""
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'tocsin.sqlite3'}"
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        options.setdefault("connect_args", {"timeout": 15, "check_same_thread": False})
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance / "secret_key")


def _instance_secret(path: Path) -> str:
    """Read the instance secret, creating it once (sessions survive restarts)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32))
    return path.read_text().strip()


def init_app(app: Flask) -> None:
    """Set SQLite to WAL with a busy timeout so the server, CLI and workers can share it."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=15000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def upgrade_schema() -> None:
    """Bring the database up to the newest migration, adopting one made by create_all."""
    with db.engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
        unversioned = "tocsin_users" in tables and "alembic_version" not in tables
        # Matching the models means a current create_all (tests, benchmarks) built it;
        # anything else predates migrations and is the baseline.
        current = unversioned and not schema_differences(conn)
    if unversioned:
        flask_migrate.stamp(revision="head" if current else BASELINE_REVISION)
    flask_migrate.upgrade()


def schema_differences(conn: sa.Connection) -> list:
    """Return how the database differs from the models, as Alembic's autogenerate sees it."""
    return compare_metadata(MigrationContext.configure(conn), db.metadata)
