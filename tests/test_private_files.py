"""The instance folder, the SQLite file with its -wal/-shm and the secret are private."""

import os
import stat

import pytest
import sqlalchemy as sa

from app import create_app, users
from tocsin.extensions import db


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask_022():
    """The common default umask, under which files came out world-readable."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def start(instance, monkeypatch, **config):
    monkeypatch.setenv("TOCSIN_INSTANCE_PATH", str(instance))
    monkeypatch.delenv("TOCSIN_DATABASE_URL", raising=False)
    monkeypatch.delenv("TOCSIN_SECRET_KEY", raising=False)
    app = create_app({"TESTING": True, **config})
    with app.app_context():
        db.create_all()
        if users.by_username(db.session, "alice") is None:  # a write: the -wal file appears
            users.create(db.session, "alice", "tocsin-pw")
        assert db.session.scalar(sa.text("PRAGMA journal_mode")) == "wal"
        db.session.remove()
        db.engine.dispose()
    return app


def test_a_new_instance_is_private(tmp_path, monkeypatch, umask_022):
    instance = tmp_path / "instance"
    start(instance, monkeypatch)
    assert mode(instance) == 0o700
    database = instance / "tocsin.sqlite3"
    for path in (database, instance / "secret_key"):
        assert mode(path) == 0o600, path


def test_wal_and_shm_files_are_private(tmp_path, monkeypatch, umask_022):
    instance = tmp_path / "instance"
    app = start(instance, monkeypatch)
    with app.app_context():
        # Held open: SQLite removes -wal and -shm when the last connection closes.
        with db.engine.connect() as conn:
            conn.execute(sa.text("CREATE TABLE scratch (x INTEGER)"))
            conn.commit()
            for suffix in ("-wal", "-shm"):
                assert mode(instance / f"tocsin.sqlite3{suffix}") == 0o600, suffix
        db.engine.dispose()


def test_an_existing_world_readable_instance_is_tightened(tmp_path, monkeypatch, umask_022):
    instance = tmp_path / "instance"
    start(instance, monkeypatch)
    files = [instance / "tocsin.sqlite3", instance / "secret_key"]
    os.chmod(instance, 0o755)  # noqa: S103 - the mode earlier versions left
    for path in files:
        os.chmod(path, 0o644)
    start(instance, monkeypatch)
    assert mode(instance) == 0o700
    assert [mode(path) for path in files] == [0o600, 0o600]


def test_a_configured_sqlite_file_is_private(tmp_path, monkeypatch, umask_022):
    database = tmp_path / "elsewhere.sqlite3"
    start(tmp_path / "instance", monkeypatch, SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}")
    assert mode(database) == 0o600
