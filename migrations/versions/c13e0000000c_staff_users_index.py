"""staff users by name: a small partial index for the desk's list of staff

Every queue and ticket page lists active staff and admins by name; without it Postgres scans the whole
users table (mostly customers) for them.

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


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index('ix_users_staff', ['name'], unique=False, sqlite_where=STAFF, postgresql_where=STAFF)


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index('ix_users_staff')
