"""Users belong to the app, not to Tocsin

Tocsin keeps no users: recipients are user ids of the app it runs in. An empty
tocsin_users (every host app's, and a fresh database's) is dropped; one with rows is
left alone: the standalone app's migrations (app/migrations) adopt it, and a host
that has no use for the rows may drop it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 04:30:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    if not sa.inspect(bind).has_table("tocsin_users"):
        return
    if bind.execute(sa.text("SELECT 1 FROM tocsin_users LIMIT 1")).first() is None:
        op.drop_table("tocsin_users")


def downgrade():
    # 0006's downgrade alters the table: give it back the one 0006 left, if it is gone.
    if sa.inspect(op.get_bind()).has_table("tocsin_users"):
        return
    op.create_table(
        "tocsin_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("demo", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
