"""The migrations build exactly the schema the models declare, both ways, on both databases."""

import os

import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from app import create_app, users
from app import schema as app_schema
from tests.conftest import POSTGRES_URL, postgres_url
from tocsin.extensions import db
from tocsin.schema import BASELINE_REVISION, MIGRATIONS, VERSION_TABLE, schema_differences

#: A schema of this run's own (concurrent runs share the server): each test rebuilds it.
MIGRATIONS_SCHEMA = f"tocsin_migrations_test_{os.getpid()}"
HEAD = ScriptDirectory(str(MIGRATIONS)).get_current_head()
AUTOINCREMENT_TABLES = ("tocsin_notifications", "tocsin_broker_events")


def _reset_postgres_schema() -> str:
    """Drop and recreate the schema; return a URL that uses it (skip if unreachable)."""
    return postgres_url(MIGRATIONS_SCHEMA, fresh=True)


def _drop_postgres_schema() -> None:
    engine = sa.create_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {MIGRATIONS_SCHEMA} CASCADE"))
    engine.dispose()


def _app(url: str):
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test"})


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_app(request, tmp_path, monkeypatch):
    """An app on an empty database (a fresh SQLite file, or an empty PostgreSQL schema)."""
    monkeypatch.setenv("TOCSIN_INSTANCE_PATH", str(tmp_path))
    postgres = request.param == "postgresql"
    app = _app(_reset_postgres_schema() if postgres else f"sqlite:///{tmp_path / 'm.sqlite3'}")
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    if postgres:
        _drop_postgres_schema()


def current_revision() -> str | None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()


def differences() -> list:
    with db.engine.connect() as conn:
        return schema_differences(conn)


def table_names() -> set[str]:
    with db.engine.connect() as conn:
        return set(sa.inspect(conn).get_table_names())


def unread_index_where() -> str | None:
    """Return the WHERE clause of the partial unread index, None if it is missing."""
    with db.engine.connect() as conn:
        indexes = sa.inspect(conn).get_indexes("tocsin_notifications")
    for index in indexes:
        if index["name"] == "ix_tocsin_notifications_unread":
            assert index["column_names"] == ["user_id", "id"]
            options = index.get("dialect_options", {})
            where = options.get("postgresql_where", options.get("sqlite_where"))
            return str(where)
    return None


def app_revision() -> str | None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": app_schema.VERSION_TABLE})
        return context.get_current_revision()


def assert_app_matches_models() -> None:
    """The app's own history (app/migrations) built its users table as its model says."""
    assert app_revision() == ScriptDirectory(str(app_schema.MIGRATIONS)).get_current_head()
    with db.engine.connect() as conn:
        assert app_schema.schema_differences(conn) == []


def assert_matches_models() -> None:
    assert current_revision() == HEAD
    # Autogenerate sees tables, columns, types, nullability, keys and indexes ...
    assert differences() == []
    # ... but not an index's WHERE clause, so check the partial index by hand.
    assert "read_at IS NULL" in unread_index_where()


def test_upgrade_builds_the_schema_the_models_declare(empty_app):
    upgrade()
    assert_matches_models()


def test_upgrade_builds_the_lists_expression_index(empty_app):
    # The comparison above cannot see expression indexes on SQLite (tocsin.schema).
    upgrade()
    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            sql = conn.scalar(
                sa.text("SELECT sql FROM sqlite_master WHERE name = :n"),
                {"n": "ix_tocsin_notifications_user_position"},
            )
        else:
            sql = conn.scalar(
                sa.text(
                    "SELECT indexdef FROM pg_indexes"
                    " WHERE indexname = :n AND schemaname = current_schema()"
                ),
                {"n": "ix_tocsin_notifications_user_position"},
            )
    assert sql is not None
    assert "coalesce(sort_id, id)" in sql.lower().replace('"', "")


def test_downgrade_to_base_then_upgrade_again(empty_app):
    upgrade()
    downgrade(revision="base")
    assert current_revision() is None
    assert table_names() == {"tocsin_alembic_version"}
    upgrade()
    assert_matches_models()


def test_each_step_downgrades_cleanly(empty_app):
    upgrade(revision=BASELINE_REVISION)
    assert unread_index_where() is None
    upgrade()
    assert unread_index_where() is not None
    downgrade(revision=BASELINE_REVISION)
    assert unread_index_where() is None
    assert current_revision() == BASELINE_REVISION


def test_sqlite_ddl_is_exactly_what_create_all_writes(tmp_path, monkeypatch):
    """Compare the CREATE statements: autogenerate ignores AUTOINCREMENT and index WHERE."""
    monkeypatch.setenv("TOCSIN_INSTANCE_PATH", str(tmp_path))

    def ddl(url, build):
        app = _app(url)
        with app.app_context():
            build()
            with db.engine.connect() as conn:
                rows = conn.execute(
                    sa.text(
                        "SELECT type, name, sql FROM sqlite_master"
                        " WHERE name NOT LIKE '%alembic_version%' ORDER BY name"
                    )
                )
                # A table rebuilt by batch mode (a rename) is stored with its name quoted.
                quoted = 'CREATE TABLE "{}"'
                result = [
                    (kind, name, sql and sql.replace(quoted.format(name), f"CREATE TABLE {name}"))
                    for kind, name, sql in rows
                ]
            db.engine.dispose()
        return result

    def migrate_both():
        upgrade()
        app_schema.upgrade_schema()

    migrated = ddl(f"sqlite:///{tmp_path / 'migrated.sqlite3'}", migrate_both)
    created = ddl(f"sqlite:///{tmp_path / 'created.sqlite3'}", db.create_all)
    assert migrated == created
    sql = {name: text for _, name, text in migrated}
    for table in AUTOINCREMENT_TABLES:
        assert "AUTOINCREMENT" in sql[table]
    assert sql["ix_tocsin_notifications_unread"].endswith("WHERE read_at IS NULL")


def test_init_builds_a_fresh_database(empty_app):
    for _ in range(2):
        result = empty_app.test_cli_runner().invoke(args=["tocsin", "init", "--demo"])
        assert result.exit_code == 0, result.output
    assert_matches_models()
    assert_app_matches_models()
    assert users.by_username(db.session, "alice") is not None


def test_tocsins_own_migrations_leave_no_users_table(empty_app):
    """A host runs only Tocsin's history: it ends with no tocsin_users (0001 made one)."""
    upgrade()
    assert "tocsin_users" not in table_names()
    assert_matches_models()


def test_users_made_by_an_earlier_version_stay_and_the_app_adopts_their_table(empty_app):
    """A standalone instance at 0006 with users: Tocsin 0007 keeps them, the app adopts."""
    upgrade(revision="0006")
    with db.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO tocsin_users (username, password_hash, created_at)"
                " VALUES ('dave', 'x', CURRENT_TIMESTAMP)"
            )
        )
    result = empty_app.test_cli_runner().invoke(args=["tocsin", "init"])
    assert result.exit_code == 0, result.output
    assert_matches_models()
    assert_app_matches_models()
    assert users.by_username(db.session, "dave") is not None
    assert {"app_alembic_version", "tocsin_alembic_version"} <= table_names()


def test_init_adopts_a_database_from_before_migrations(empty_app):
    """An instance `tocsin init` built with create_all before migrations: the baseline."""
    upgrade(revision=BASELINE_REVISION)
    with db.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE tocsin_alembic_version"))
        # In SQL: the model has columns (tocsin_users.demo) the baseline table lacks.
        conn.execute(
            sa.text(
                "INSERT INTO tocsin_users (username, password_hash, created_at)"
                " VALUES ('carol', 'x', CURRENT_TIMESTAMP)"
            )
        )
    result = empty_app.test_cli_runner().invoke(args=["tocsin", "init"])
    assert result.exit_code == 0, result.output
    assert_matches_models()
    assert_app_matches_models()
    assert users.by_username(db.session, "carol") is not None


def test_init_stamps_a_database_create_all_built_from_the_current_models(empty_app):
    db.create_all()
    result = empty_app.test_cli_runner().invoke(args=["tocsin", "init"])
    assert result.exit_code == 0, result.output
    assert_matches_models()
    assert_app_matches_models()
