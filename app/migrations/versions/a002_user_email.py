"""Users' email addresses, for the email channel

Revision ID: a002
Revises: a001
Create Date: 2026-12-01 16:30:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a002"
down_revision = "a001"
branch_labels = None
depends_on = None


def upgrade():
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("tocsin_users")}
    if "email" in columns:
        return  # a table create_all built from the current model has it already
    with op.batch_alter_table("tocsin_users", recreate="always") as batch:
        batch.add_column(sa.Column("email", sa.String(length=254), nullable=True))


def downgrade():
    with op.batch_alter_table("tocsin_users", recreate="always") as batch:
        batch.drop_column("email")
