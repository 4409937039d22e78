"""Schema migrations with Alembic, on Tocsin's own tables and version table.

Run directly rather than through Flask-Migrate, so that a host app with migrations
of its own keeps them: Tocsin records its revision in ``tocsin_alembic_version`` and
only ever looks at its own ``tocsin_*`` tables.
"""

import warnings

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext

from .config import PACKAGE
from .extensions import Base, store
from .models import TABLES

#: Tocsin's Alembic scripts, shipped inside the package.
MIGRATIONS = PACKAGE / "migrations"

VERSION_TABLE = "tocsin_alembic_version"
#: The first migration: the schema `db.create_all()` built before there were migrations.
BASELINE_REVISION = "0001"
#: Indexes on expressions: SQLAlchemy cannot reflect them on SQLite, so the comparison
#: leaves them out (tests/test_migrations.py checks each exists, tests/test_query_plans.py
#: that it is used).
EXPRESSION_INDEXES = frozenset(
    {
        "ix_tocsin_notifications_user_position",
        "ix_tocsin_notifications_user_type_position",
        "ix_tocsin_notifications_user_latest",
        "ix_tocsin_notifications_archived",
        "ix_tocsin_notifications_search",
    }
)


def is_ours(name: str | None, type_: str, _parent=None) -> bool:
    """Tell Alembic to consider only Tocsin's tables (a host's live in the same database)."""
    return type_ != "table" or name in TABLES


def is_our_object(obj, name: str | None, type_: str, _reflected, _compare_to) -> bool:
    """Tell autogenerate to skip the app's models, even those on Tocsin's own metadata."""
    if type_ == "index" and name in EXPRESSION_INDEXES:
        return False
    return is_ours(name, type_) if type_ == "table" else is_ours(obj.table.name, "table")


def alembic_config() -> AlembicConfig:
    config = AlembicConfig(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade_schema() -> None:
    """Bring the database up to the newest migration, adopting one made by create_all."""
    with store.engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
        unversioned = "tocsin_notifications" in tables and VERSION_TABLE not in tables
        # Matching the models means a current create_all (tests, benchmarks) built it;
        # anything else predates migrations and is the baseline.
        current = unversioned and not schema_differences(conn)
    config = alembic_config()
    if unversioned:
        command.stamp(config, "head" if current else BASELINE_REVISION)
    command.upgrade(config, "head")


def schema_differences(conn: sa.Connection) -> list:
    """Return how Tocsin's tables differ from the models, as Alembic's autogenerate sees it."""
    context = MigrationContext.configure(
        conn,
        opts={
            "version_table": VERSION_TABLE,
            "include_name": is_ours,
            "include_object": is_our_object,
        },
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based")
        warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression")
        return compare_metadata(context, Base.metadata)
