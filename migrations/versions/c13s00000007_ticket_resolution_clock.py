"""ticket resolution clock: resolution_due_at and waiting_since (SLA paused while waiting on the customer)

Revision ID: c13s00000007
Revises: c17a00000001
Create Date: 2026-12-04 02:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

import portal.models

# revision identifiers, used by Alembic.
revision = 'c13s00000007'
down_revision = 'c17a00000001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resolution_due_at', portal.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('waiting_since', portal.models.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('waiting_since')
        batch_op.drop_column('resolution_due_at')
