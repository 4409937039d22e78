"""Notification action outcome

A type may declare action buttons (friend_request: Accept / Decline). The action taken,
the text the item shows since ("Accepted") and when: columns rather than keys in `data`,
so that recording an outcome is one guarded UPDATE (... WHERE acted_at IS NULL) on
every database and a second click can never win.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 09:00:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UNREAD = sa.text("read_at IS NULL")


def _columns() -> list[sa.Column]:
    return [
        sa.Column("action_taken", sa.String(length=40), nullable=True),
        sa.Column("outcome", sa.String(length=200), nullable=True),
        sa.Column("acted_at", sa.DateTime(timezone=True), nullable=True),
    ]


def _notifications(with_outcome: bool) -> sa.Table:
    """The table as SQLite must rebuild it (batch mode copies from this, not reflection)."""
    return sa.Table(
        "tocsin_notifications",
        sa.MetaData(),
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.Column("actor", sa.String(length=120), nullable=True),
        sa.Column("group_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        *(_columns() if with_outcome else []),
        sa.Index("ix_tocsin_notifications_user_id_id", "user_id", "id"),
        sa.Index(
            "ix_tocsin_notifications_unread",
            "user_id",
            "id",
            sqlite_where=UNREAD,
            postgresql_where=UNREAD,
        ),
        sqlite_autoincrement=True,
    )


def upgrade():
    if op.get_context().dialect.name == "sqlite":
        # A rebuild, not ALTER TABLE ADD COLUMN: SQLite would append the columns after
        # the table's constraints, and the schema would no longer read like create_all's.
        table = _notifications(with_outcome=False)
        with op.batch_alter_table(table.name, copy_from=table, recreate="always") as batch:
            for column in _columns():
                batch.add_column(column)
        return
    for column in _columns():
        op.add_column("tocsin_notifications", column)


def downgrade():
    if op.get_context().dialect.name == "sqlite":
        table = _notifications(with_outcome=True)
        with op.batch_alter_table(table.name, copy_from=table, recreate="always") as batch:
            for column in _columns():
                batch.drop_column(column.name)
        return
    for column in _columns():
        op.drop_column("tocsin_notifications", column.name)
