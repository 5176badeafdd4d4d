"""credit states: each villager's current score, level and gates with the day they stop holding

Revision ID: 0010_credit_states
Revises: 0009_templates
Create Date: 2026-11-30 02:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_credit_states'
down_revision = '0009_templates'
branch_labels = None
depends_on = None


def upgrade():
    # Empty at first: every state is computed on its first read and kept from then on.
    op.create_table('credit_states',
    sa.Column('villager_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('rule_version', sa.Integer(), nullable=False),
    sa.Column('blocked_by', sa.String(length=100), nullable=True),
    sa.Column('gates', sa.JSON(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('rules_key', sa.Integer(), nullable=False),
    sa.Column('facts_key', sa.String(length=40), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_credit_states_village_id_villages')),
    sa.ForeignKeyConstraint(['villager_id'], ['villagers.id'], name=op.f('fk_credit_states_villager_id_villagers')),
    sa.PrimaryKeyConstraint('villager_id', name=op.f('pk_credit_states'))
    )
    op.create_index(op.f('ix_credit_states_village_id'), 'credit_states', ['village_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_credit_states_village_id'), table_name='credit_states')
    op.drop_table('credit_states')
