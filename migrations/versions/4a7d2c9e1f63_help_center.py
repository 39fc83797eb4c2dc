"""help center: votes, searches, suggestion clicks

Revision ID: 4a7d2c9e1f63
Revises: 3e8c1a5b7d20
Create Date: 2026-12-03 15:40:00.000000

"""
import sqlalchemy as sa
from alembic import op

import portal.models

# revision identifiers, used by Alembic.
revision = '4a7d2c9e1f63'
down_revision = '3e8c1a5b7d20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('help_votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article', sa.String(length=80), nullable=False),
    sa.Column('visitor', sa.String(length=64), nullable=False),
    sa.Column('helpful', sa.Boolean(), nullable=False),
    sa.Column('comment', sa.String(length=1000), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('created_at', portal.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('article', 'visitor', name='uq_help_votes_article_visitor')
    )
    with op.batch_alter_table('help_votes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_help_votes_article'), ['article'], unique=False)

    op.create_table('help_searches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('query', sa.String(length=200), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('results', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('help_searches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_help_searches_created_at'), ['created_at'], unique=False)

    op.create_table('help_suggestion_clicks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article', sa.String(length=80), nullable=False),
    sa.Column('visit', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('help_suggestion_clicks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_help_suggestion_clicks_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_help_suggestion_clicks_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_help_suggestion_clicks_visit'), ['visit'], unique=False)


def downgrade():
    with op.batch_alter_table('help_suggestion_clicks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_help_suggestion_clicks_visit'))
        batch_op.drop_index(batch_op.f('ix_help_suggestion_clicks_user_id'))
        batch_op.drop_index(batch_op.f('ix_help_suggestion_clicks_created_at'))
    op.drop_table('help_suggestion_clicks')
    with op.batch_alter_table('help_searches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_help_searches_created_at'))
    op.drop_table('help_searches')
    with op.batch_alter_table('help_votes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_help_votes_article'))
    op.drop_table('help_votes')
