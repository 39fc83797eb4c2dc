"""content revisions: admin-edited policies and help articles

Revision ID: b7e3f1a9c2d4
Revises: 4a7d2c9e1f63
Create Date: 2026-12-03 16:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

import portal.models

# revision identifiers, used by Alembic.
revision = 'b7e3f1a9c2d4'
down_revision = '4a7d2c9e1f63'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('content_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('markdown', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('content_revisions', schema=None) as batch_op:
        batch_op.create_index('ix_content_revisions_lookup', ['kind', 'key', 'language', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('content_revisions', schema=None) as batch_op:
        batch_op.drop_index('ix_content_revisions_lookup')
    op.drop_table('content_revisions')
