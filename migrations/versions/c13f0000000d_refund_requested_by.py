"""refunds: the staff member who asked for a refund (a held one needs a second person to approve it)

Revision ID: c13f0000000d
Revises: c13e0000000c
Create Date: 2026-12-04 19:40:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c13f0000000d'
down_revision = 'c13e0000000c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requested_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            'fk_refunds_requested_by_id_users', 'users', ['requested_by_id'], ['id'], ondelete='SET NULL'
        )


def downgrade():
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_constraint('fk_refunds_requested_by_id_users', type_='foreignkey')
        batch_op.drop_column('requested_by_id')
