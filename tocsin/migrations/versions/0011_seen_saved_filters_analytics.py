"""Unseen counts, saved inbox filters, analytics

tocsin_unread_counters.unseen counts unread rows nobody has seen yet (the badge when it
counts unseen), with a partial index on those rows as the unread one has; it starts at
the exact count. tocsin_saved_filters holds each user's named inbox queries.
tocsin_analytics_daily holds counts per UTC day, type, channel and event;
tocsin_analytics_events the raw events, when they are kept at all.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 19:30:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

UNSEEN = "seen_at IS NULL AND read_at IS NULL"


def upgrade():
    with op.batch_alter_table("tocsin_unread_counters", recreate="always") as batch:
        batch.add_column(sa.Column("unseen", sa.Integer(), server_default="0", nullable=False))
    op.create_index(
        "ix_tocsin_notifications_unseen",
        "tocsin_notifications",
        ["user_id", "id"],
        postgresql_where=sa.text(UNSEEN),
        sqlite_where=sa.text(UNSEEN),
    )
    op.execute(
        "UPDATE tocsin_unread_counters SET unseen = (SELECT count(*) FROM tocsin_notifications n"
        " WHERE n.user_id = tocsin_unread_counters.user_id"
        " AND n.seen_at IS NULL AND n.read_at IS NULL)"
    )
    op.create_table(
        "tocsin_saved_filters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("query", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "name"),
    )
    op.create_table(
        "tocsin_analytics_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "type", "channel", "event"),
    )
    op.create_table(
        "tocsin_analytics_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_tocsin_analytics_events_created_at", "tocsin_analytics_events", ["created_at"]
    )


def downgrade():
    op.drop_index("ix_tocsin_analytics_events_created_at", table_name="tocsin_analytics_events")
    op.drop_table("tocsin_analytics_events")
    op.drop_table("tocsin_analytics_daily")
    op.drop_table("tocsin_saved_filters")
    op.drop_index("ix_tocsin_notifications_unseen", table_name="tocsin_notifications")
    with op.batch_alter_table("tocsin_unread_counters", recreate="always") as batch:
        batch.drop_column("unseen")
