"""account privacy: email verification and closed accounts

Revision ID: 9e4c2a7d1b35
Revises: 7b2d4e6f8a10
Create Date: 2026-12-03 15:20:00.000000

"""
import sqlalchemy as sa
from alembic import op

import portal.models

# revision identifiers, used by Alembic.
revision = '9e4c2a7d1b35'
down_revision = '7b2d4e6f8a10'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_verified_at', portal.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('closed_at', portal.models.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('closed_at')
        batch_op.drop_column('email_verified_at')
