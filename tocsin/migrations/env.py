"""Alembic environment: runs inside the app, on Tocsin's engine and Tocsin's tables only.

Used by `flask tocsin init` (tocsin.schema) and by Flask-Migrate's `flask db ...` in the
standalone app; the same either way, so a host app's own migrations never mix in.
"""

import logging
from logging.config import fileConfig
from typing import Any

import sqlalchemy as sa
from alembic import context

from tocsin.extensions import Base, store
from tocsin.schema import VERSION_TABLE, is_our_object, is_ours

config = context.config

# Leave logging alone when the host (a test run, a server) has already configured it.
if config.config_file_name is not None and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

engine = store.engine
target_metadata = Base.metadata
config.set_main_option(
    "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
)
#: Autogenerate compares types, works on SQLite through batch mode, sees only our tables.
CONFIGURE: dict[str, Any] = {
    "target_metadata": target_metadata,
    "version_table": VERSION_TABLE,
    "include_name": is_ours,
    "include_object": is_our_object,
    "compare_type": True,
    "render_as_batch": True,
}


def render_item(type_, obj, autogen_context):
    """Render a TypeDecorator as its storage type, so revisions never import the app."""
    if type_ == "type" and isinstance(obj, sa.types.TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def process_revision_directives(context, revision, directives):
    """Write no empty revision when autogenerate finds no change."""
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")


def run_migrations_offline() -> None:
    """Emit the SQL to stdout (`flask db upgrade --sql`)."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        literal_binds=True,
        render_item=render_item,
        **CONFIGURE,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on a connection from the app's engine."""
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            process_revision_directives=process_revision_directives,
            render_item=render_item,
            **CONFIGURE,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
