"""desk: full-text search objects, canned replies, AI-drafted replies

Revision ID: c13b00000006
Revises: c17b00000002
Create Date: 2026-12-04 02:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

import portal.models
from portal.database import search_ddl

# revision identifiers, used by Alembic.
revision = 'c13b00000006'
down_revision = 'c17b00000002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('canned_replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('canned_replies', schema=None) as batch_op:
        batch_op.create_index('ix_canned_replies_owner_title', ['owner_id', 'title'], unique=False)

    op.create_table('drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('citations', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', portal.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', portal.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.create_index('ix_drafts_status_created', ['status', 'created_at'], unique=False)
        batch_op.create_index('ix_drafts_ticket_status', ['ticket_id', 'status'], unique=False)

    # Postgres: GIN expression indexes (a long build on a million messages: run it in a quiet hour);
    # SQLite: the FTS5 table, its triggers, and a rebuild from the existing messages.
    search_ddl.create_objects(op.get_bind())


def downgrade():
    search_ddl.drop_objects(op.get_bind())
    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.drop_index('ix_drafts_ticket_status')
        batch_op.drop_index('ix_drafts_status_created')
    op.drop_table('drafts')
    with op.batch_alter_table('canned_replies', schema=None) as batch_op:
        batch_op.drop_index('ix_canned_replies_owner_title')
    op.drop_table('canned_replies')
