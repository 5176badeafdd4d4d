"""governance platform: village event mappings and received events

Revision ID: 0011_integrations
Revises: 0010_credit_states
Create Date: 2026-11-30 02:18:15.935844

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_integrations'
down_revision = '0010_credit_states'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('event_mappings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_type', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=64), nullable=False),
    sa.Column('activity_type', sa.String(length=16), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('fact_fields', sa.JSON(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_event_mappings_village_id_villages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_mappings')),
    sa.UniqueConstraint('village_id', 'event_type', name=op.f('uq_event_mappings_village_id_event_type'))
    )
    with op.batch_alter_table('event_mappings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_mappings_village_id'), ['village_id'], unique=False)

    op.create_table('inbound_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=128), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('event_type', sa.String(length=64), nullable=False),
    sa.Column('villager_id', sa.Integer(), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('activity_type', sa.String(length=16), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('rule_code', sa.String(length=16), nullable=True),
    sa.Column('points', sa.Integer(), nullable=True),
    sa.Column('explanation', sa.String(length=200), nullable=True),
    sa.Column('award_id', sa.Integer(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('rejection_reason', sa.String(length=200), nullable=True),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['award_id'], ['point_awards.id'], name=op.f('fk_inbound_events_award_id_point_awards')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_inbound_events_decided_by_id_users')),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_inbound_events_village_id_villages')),
    sa.ForeignKeyConstraint(['villager_id'], ['villagers.id'], name=op.f('fk_inbound_events_villager_id_villagers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_events')),
    sa.UniqueConstraint('event_id', name=op.f('uq_inbound_events_event_id'))
    )
    with op.batch_alter_table('inbound_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbound_events_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbound_events_village_id'), ['village_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbound_events_villager_id'), ['villager_id'], unique=False)



def downgrade():
    with op.batch_alter_table('inbound_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_events_villager_id'))
        batch_op.drop_index(batch_op.f('ix_inbound_events_village_id'))
        batch_op.drop_index(batch_op.f('ix_inbound_events_status'))

    op.drop_table('inbound_events')
    with op.batch_alter_table('event_mappings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_mappings_village_id'))

    op.drop_table('event_mappings')
