"""Delivery preferences, snoozes and held deliveries

Each user may have a row of preferences (per type and channel, timezone, quiet hours,
sound, digest) and a snooze; deliveries held back by quiet hours or a snooze wait in
tocsin_held for the catch-up summary. No row means the defaults, so existing users need
none.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 10:30:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "tocsin_preferences",
        sa.Column("user_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("quiet_start", sa.String(length=5), nullable=True),
        sa.Column("quiet_end", sa.String(length=5), nullable=True),
        sa.Column("sound", sa.Boolean(), nullable=False),
        sa.Column("urgent_through", sa.Boolean(), nullable=False),
        sa.Column("digest", sa.String(length=8), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("snoozed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("snooze_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_index("ix_tocsin_preferences_snooze_until", "tocsin_preferences", ["snooze_until"])
    op.create_table(
        "tocsin_held",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_tocsin_held_user_id_channel", "tocsin_held", ["user_id", "channel"])


def downgrade():
    op.drop_index("ix_tocsin_held_user_id_channel", table_name="tocsin_held")
    op.drop_table("tocsin_held")
    op.drop_index("ix_tocsin_preferences_snooze_until", table_name="tocsin_preferences")
    op.drop_table("tocsin_preferences")
