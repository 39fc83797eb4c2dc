"""address book and invoice numbers

Revision ID: 3e8c1a5b7d20
Revises: 9c4f1a2b3d5e
Create Date: 2026-12-03 15:20:00.000000

"""
import sqlalchemy as sa
from alembic import op

import portal.models

# revision identifiers, used by Alembic.
revision = '3e8c1a5b7d20'
down_revision = '9c4f1a2b3d5e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('user_addresses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=60), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('created_at', portal.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('user_addresses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_addresses_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_user_addresses_default', ['user_id'], unique=True,
                              sqlite_where=sa.text('is_default'), postgresql_where=sa.text('is_default'))

    op.create_table('invoices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=24), nullable=True),
    sa.Column('issued_at', portal.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number'),
    sa.UniqueConstraint('order_id'),
    sqlite_autoincrement=True
    )


def downgrade():
    op.drop_table('invoices')
    with op.batch_alter_table('user_addresses', schema=None) as batch_op:
        batch_op.drop_index('uq_user_addresses_default')
        batch_op.drop_index(batch_op.f('ix_user_addresses_user_id'))
    op.drop_table('user_addresses')
