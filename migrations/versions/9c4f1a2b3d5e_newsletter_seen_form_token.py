"""newsletter opt-in, ticket last seen by the customer, new-ticket form token

Revision ID: 9c4f1a2b3d5e
Revises: 9e4c2a7d1b35
Create Date: 2026-12-03 16:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

import portal.models

# revision identifiers, used by Alembic.
revision = '9c4f1a2b3d5e'
down_revision = '9e4c2a7d1b35'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('newsletter', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('form_token', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('customer_seen_at', portal.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint('uq_tickets_customer_form_token', ['customer_id', 'form_token'])


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_constraint('uq_tickets_customer_form_token', type_='unique')
        batch_op.drop_column('customer_seen_at')
        batch_op.drop_column('form_token')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('newsletter')
