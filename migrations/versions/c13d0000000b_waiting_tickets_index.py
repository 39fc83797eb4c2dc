"""tickets waiting for a person or the agent: a small covering partial index for the desk queue

The queue's counts, its reason filter and "escalated, newest" read only these columns of the few
waiting tickets: index-only scans instead of visiting a heap page per ticket.

Revision ID: c13d0000000b
Revises: c13a00000009
Create Date: 2026-12-04 03:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c13d0000000b'
down_revision = 'c13a00000009'
branch_labels = None
depends_on = None

WAITING = sa.text("status IN ('escalated', 'new', 'processing')")


def upgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index(
            'ix_tickets_waiting',
            ['status', 'created_at', 'id', 'assignee_id', 'sla_due_at', 'escalation_reason'],
            unique=False,
            sqlite_where=WAITING,
            postgresql_where=WAITING,
        )


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_waiting')
