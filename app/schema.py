"""The app's own migrations (app/migrations): its users table, in its own version table.

Run after Tocsin's (`flask tocsin init` does both), as a host runs its own migrations
beside Tocsin's: neither history looks at the other's tables.
"""

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext

from tocsin.extensions import Base

from .models import TABLES

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "app_alembic_version"


def is_ours(name: str | None, type_: str, _parent=None) -> bool:
    """Tell Alembic to consider only the app's tables (Tocsin's share the database)."""
    return type_ != "table" or name in TABLES


def is_our_object(obj, name: str | None, type_: str, _reflected, _compare_to) -> bool:
    """Tell autogenerate to skip Tocsin's models, which share the app's metadata."""
    return is_ours(name, type_) if type_ == "table" else is_ours(obj.table.name, "table")


#: What env.py and schema_differences give Alembic.
OPTIONS: dict[str, Any] = {
    "version_table": VERSION_TABLE,
    "include_name": is_ours,
    "include_object": is_our_object,
}


def alembic_config() -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade_schema() -> None:
    """Bring the app's tables up to the newest migration."""
    command.upgrade(alembic_config(), "head")


def schema_differences(conn: sa.Connection) -> list:
    """Return how the app's tables differ from its models, as autogenerate sees them."""
    context = MigrationContext.configure(conn, opts=OPTIONS)
    return compare_metadata(context, Base.metadata)
