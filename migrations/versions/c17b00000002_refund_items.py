"""refunds per item: order_items.refunded_quantity and refund_items

Revision ID: c17b00000002
Revises: c17c00000003
Create Date: 2026-12-04 02:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c17b00000002'
down_revision = 'c17c00000003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('order_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refunded_quantity', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_check_constraint(
            'ck_order_items_refunded', 'refunded_quantity >= 0 AND refunded_quantity <= quantity'
        )
    op.create_table('refund_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('refund_id', sa.Integer(), nullable=False),
    sa.Column('order_item_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity > 0', name='ck_refund_items_quantity'),
    sa.ForeignKeyConstraint(['order_item_id'], ['order_items.id'], ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['refund_id'], ['refunds.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('refund_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refund_items_order_item_id'), ['order_item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_refund_items_refund_id'), ['refund_id'], unique=False)
    # Refunds made before this revision named no quantities; the order's money total still bounds them.


def downgrade():
    with op.batch_alter_table('refund_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refund_items_refund_id'))
        batch_op.drop_index(batch_op.f('ix_refund_items_order_item_id'))
    op.drop_table('refund_items')
    with op.batch_alter_table('order_items', schema=None) as batch_op:
        batch_op.drop_constraint('ck_order_items_refunded', type_='check')
        batch_op.drop_column('refunded_quantity')
