"""desk indexes: staff users by name, merged tickets by their target, team and priority in the waiting index

Every queue and ticket page lists active staff and admins by name, and the ticket page lists the
duplicates merged into the ticket; without the two small partial indexes Postgres scans the whole users
table (mostly customers) and the whole tickets table (almost none merged) for them. The waiting-tickets
index also covers team_id and priority, so the waiting queue filtered by team (or by reason) and sorted
by SLA is read from it alone, without visiting a heap page per ticket.

Revision ID: c13e0000000c
Revises: c13d0000000b
Create Date: 2026-12-04 19:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c13e0000000c'
down_revision = 'c13d0000000b'
branch_labels = None
depends_on = None

STAFF = sa.text("role IN ('staff', 'admin')")
MERGED = sa.text("merged_into_id IS NOT NULL")
WAITING = sa.text("status IN ('escalated', 'new', 'processing')")
WAITING_COLUMNS = ['status', 'created_at', 'id', 'assignee_id', 'sla_due_at', 'escalation_reason']


def _waiting_index(batch_op, columns):
    batch_op.create_index(
        'ix_tickets_waiting', columns, unique=False, sqlite_where=WAITING, postgresql_where=WAITING
    )


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index('ix_users_staff', ['name'], unique=False, sqlite_where=STAFF, postgresql_where=STAFF)
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index(
            'ix_tickets_merged_into', ['merged_into_id'], unique=False, sqlite_where=MERGED, postgresql_where=MERGED
        )
        batch_op.drop_index('ix_tickets_waiting')
        _waiting_index(batch_op, [*WAITING_COLUMNS, 'team_id', 'priority'])


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_waiting')
        _waiting_index(batch_op, WAITING_COLUMNS)
        batch_op.drop_index('ix_tickets_merged_into')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index('ix_users_staff')
