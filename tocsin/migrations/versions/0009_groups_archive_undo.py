"""Grouped rows, archive, undo

A grouped row stands for several notifications with one group_key: it counts them
(group_count), names their actors and sorts where its newest member would (sort_id, a
fresh value from the id sequence; the list's index is on coalesce(sort_id, id), so rows
that never grew need no value and an insert costs what it did). tocsin_group_members
keeps who and when. archived_at takes a row out of the panel; tocsin_undo keeps what an
archive, delete or mark-all-read needs to be reverted for a few seconds.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 13:30:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

POSITION = sa.text("coalesce(sort_id, id)")
UNREAD = sa.text("read_at IS NULL")


def _columns() -> list[sa.Column]:
    return [
        sa.Column("sort_id", sa.Integer(), nullable=True),
        sa.Column("group_count", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("actors", sa.JSON(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
    ]


def _notifications(with_groups: bool) -> sa.Table:
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
        sa.Column("action_taken", sa.String(length=40), nullable=True),
        sa.Column("outcome", sa.String(length=200), nullable=True),
        sa.Column("acted_at", sa.DateTime(timezone=True), nullable=True),
        *(_columns() if with_groups else []),
        sa.Index(
            "ix_tocsin_notifications_unread",
            "user_id",
            "id",
            sqlite_where=UNREAD,
            postgresql_where=UNREAD,
        ),
        sqlite_autoincrement=True,
    )


def _alter(with_groups: bool, add: bool) -> None:
    if op.get_context().dialect.name == "sqlite":
        # A rebuild, not ALTER TABLE ADD COLUMN: SQLite would append the columns after
        # the table's constraints, and the schema would no longer read like create_all's.
        table = _notifications(with_groups)
        with op.batch_alter_table(table.name, copy_from=table, recreate="always") as batch:
            for column in _columns():
                if add:
                    batch.add_column(column)
                else:
                    batch.drop_column(column.name)
        return
    for column in _columns():
        if add:
            op.add_column("tocsin_notifications", column)
        else:
            op.drop_column("tocsin_notifications", column.name)


def upgrade():
    op.drop_index("ix_tocsin_notifications_user_id_id", table_name="tocsin_notifications")
    _alter(with_groups=False, add=True)
    op.create_index(
        "ix_tocsin_notifications_user_position", "tocsin_notifications", ["user_id", POSITION]
    )
    op.create_table(
        "tocsin_group_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_tocsin_group_members_notification_id_id",
        "tocsin_group_members",
        ["notification_id", "id"],
    )
    op.create_table(
        "tocsin_undo",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_tocsin_undo_expires_at", "tocsin_undo", ["expires_at"])


def downgrade():
    op.drop_index("ix_tocsin_undo_expires_at", table_name="tocsin_undo")
    op.drop_table("tocsin_undo")
    op.drop_index("ix_tocsin_group_members_notification_id_id", table_name="tocsin_group_members")
    op.drop_table("tocsin_group_members")
    op.create_index("ix_tocsin_notifications_user_id_id", "tocsin_notifications", ["user_id", "id"])
    op.drop_index("ix_tocsin_notifications_user_position", table_name="tocsin_notifications")
    with op.batch_alter_table("tocsin_notifications") as batch:
        for column in ("archived_at", "updated_at", "actors", "group_count", "sort_id"):
            batch.drop_column(column)
