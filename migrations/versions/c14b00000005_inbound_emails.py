"""inbound emails: every message taken in from the mailbox, deduplicated by Message-ID

Revision ID: c14b00000005
Revises: c13s00000007
Create Date: 2026-12-04 02:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

import portal.models

# revision identifiers, used by Alembic.
revision = 'c14b00000005'
down_revision = 'c13s00000007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('inbound_emails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_key', sa.String(length=64), nullable=False),
    sa.Column('message_id', sa.String(length=255), nullable=True),
    sa.Column('sender', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('outcome', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('ticket_message_id', sa.Integer(), nullable=True),
    sa.Column('received_at', portal.models.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("outcome IN ('threaded', 'opened', 'signup', 'ignored', 'refused')", name='ck_inbound_emails_outcome'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_message_id'], ['messages.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('message_key')
    )
    with op.batch_alter_table('inbound_emails', schema=None) as batch_op:
        batch_op.create_index('ix_inbound_emails_sender_received', ['sender', 'received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbound_emails_ticket_id'), ['ticket_id'], unique=False)


def downgrade():
    with op.batch_alter_table('inbound_emails', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_emails_ticket_id'))
        batch_op.drop_index('ix_inbound_emails_sender_received')
    op.drop_table('inbound_emails')
