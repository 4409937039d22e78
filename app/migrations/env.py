"""Alembic environment of the standalone app: its own tables, its own version table."""

from alembic import context

from app.schema import OPTIONS
from tocsin.extensions import Base, store

config = context.config


def run_migrations_online() -> None:
    """Run the migrations on a connection from the app's engine."""
    with store.engine.connect() as connection:
        context.configure(
            connection=connection, target_metadata=Base.metadata, render_as_batch=True, **OPTIONS
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
