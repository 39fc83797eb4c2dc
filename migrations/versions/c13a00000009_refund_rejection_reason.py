"""refunds: the reason and note a customer reads when staff reject a held refund

Revision ID: c13a00000009
Revises: c15a0000000a
Create Date: 2026-12-05 10:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c13a00000009'
down_revision = 'c15a0000000a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decision_reason', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('customer_note', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_column('customer_note')
        batch_op.drop_column('decision_reason')
