"""deferred jobs: background jobs waiting for Redis to come back

Revision ID: c17a00000001
Revises: b7e3f1a9c2d4
Create Date: 2026-12-10 10:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

import portal.models

# revision identifiers, used by Alembic.
revision = 'c17a00000001'
down_revision = 'b7e3f1a9c2d4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('deferred_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=120), nullable=False),
    sa.Column('args', sa.JSON(), nullable=False),
    sa.Column('queue', sa.String(length=32), nullable=False),
    sa.Column('job_key', sa.String(length=200), nullable=False),
    sa.Column('run_after', portal.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', portal.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('deferred_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deferred_jobs_job_key'), ['job_key'], unique=False)


def downgrade():
    with op.batch_alter_table('deferred_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deferred_jobs_job_key'))
    op.drop_table('deferred_jobs')
