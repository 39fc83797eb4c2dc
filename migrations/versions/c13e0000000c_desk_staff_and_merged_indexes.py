"""desk: staff users by name, and merged tickets by their target (two small partial indexes)

Every queue and ticket page lists active staff and admins by name, and the ticket page lists the
duplicates merged into the ticket; without these Postgres scans the whole users table (mostly
customers) and the whole tickets table (almost none merged) for them.

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


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index('ix_users_staff', ['name'], unique=False, sqlite_where=STAFF, postgresql_where=STAFF)
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index(
            'ix_tickets_merged_into', ['merged_into_id'], unique=False, sqlite_where=MERGED, postgresql_where=MERGED
        )


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_merged_into')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index('ix_users_staff')
