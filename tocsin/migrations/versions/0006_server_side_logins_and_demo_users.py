"""Server-side logins and demo users

A login is a row keyed by the session id its signed cookie carries, so a logout (or
"log out other devices") ends it on the server, and idle and absolute expiry are
decided in one place for HTTP and the socket. Demo users are flagged, so that they
log in only in demo mode.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 01:00:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "tocsin_logins",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_tocsin_logins_user_id", "tocsin_logins", ["user_id"])
    # Rebuilt on SQLite, so its stored DDL is the one create_all writes.
    with op.batch_alter_table("tocsin_users", recreate="always") as batch:
        batch.add_column(sa.Column("demo", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table("tocsin_users", recreate="always") as batch:
        batch.drop_column("demo")
    op.drop_index("ix_tocsin_logins_user_id", table_name="tocsin_logins")
    op.drop_table("tocsin_logins")
