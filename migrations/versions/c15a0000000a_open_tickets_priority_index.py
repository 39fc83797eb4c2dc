"""open tickets by priority and SLA: a partial index for the desk queue's filter and its count

Revision ID: c15a0000000a
Revises: c13c00000008
Create Date: 2026-12-04 02:40:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c15a0000000a'
down_revision = 'c13c00000008'
branch_labels = None
depends_on = None

OPEN = sa.text("status <> 'resolved'")


def upgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index(
            'ix_tickets_open_priority_sla',
            ['priority', 'sla_due_at', 'id'],
            unique=False,
            sqlite_where=OPEN,
            postgresql_where=OPEN,
        )


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_open_priority_sla')
