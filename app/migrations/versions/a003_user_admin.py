"""Admin users, who may open the analytics page

Revision ID: a003
Revises: a002
Create Date: 2026-12-01 19:30:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a003"
down_revision = "a002"
branch_labels = None
depends_on = None


def upgrade():
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("tocsin_users")}
    if "admin" in columns:
        return  # a table create_all built from the current model has it already
    with op.batch_alter_table("tocsin_users", recreate="always") as batch:
        batch.add_column(
            sa.Column("admin", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table("tocsin_users", recreate="always") as batch:
        batch.drop_column("admin")
