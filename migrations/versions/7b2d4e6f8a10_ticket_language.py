"""ticket language

Revision ID: 7b2d4e6f8a10
Revises: 5c1e7a9b3d42
Create Date: 2026-12-03 15:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '7b2d4e6f8a10'
down_revision = '5c1e7a9b3d42'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('language')
