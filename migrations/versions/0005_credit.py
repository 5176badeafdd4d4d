"""credit: entries, objections, honour applications, repairs, monthly snapshots

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('credit_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('villager_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('rule_version', sa.Integer(), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_credit_snapshots_village_id_villages')),
    sa.ForeignKeyConstraint(['villager_id'], ['villagers.id'], name=op.f('fk_credit_snapshots_villager_id_villagers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_snapshots')),
    sa.UniqueConstraint('villager_id', 'month', name=op.f('uq_credit_snapshots_villager_id_month'))
    )
    op.create_index(op.f('ix_credit_snapshots_village_id'), 'credit_snapshots', ['village_id'], unique=False)
    op.create_table('credit_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('villager_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('origin', sa.String(length=16), nullable=False),
    sa.Column('rule_code', sa.String(length=16), nullable=True),
    sa.Column('rule_version', sa.Integer(), nullable=True),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('counts_from', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('quantity', sa.Float(), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=True),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=True),
    sa.Column('list_kind', sa.String(length=16), nullable=True),
    sa.Column('source', sa.String(length=64), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('evidence_text', sa.Text(), nullable=True),
    sa.Column('evidence_file_ids', sa.JSON(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_credit_entries_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['target_id'], ['credit_entries.id'], name=op.f('fk_credit_entries_target_id_credit_entries')),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_credit_entries_village_id_villages')),
    sa.ForeignKeyConstraint(['villager_id'], ['villagers.id'], name=op.f('fk_credit_entries_villager_id_villagers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_entries'))
    )
    op.create_index(op.f('ix_credit_entries_origin'), 'credit_entries', ['origin'], unique=False)
    op.create_index(op.f('ix_credit_entries_village_id'), 'credit_entries', ['village_id'], unique=False)
    op.create_index(op.f('ix_credit_entries_villager_id'), 'credit_entries', ['villager_id'], unique=False)
    op.create_table('credit_objections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('villager_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('raised_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decision_note', sa.String(length=500), nullable=True),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_credit_objections_decided_by_id_users')),
    sa.ForeignKeyConstraint(['entry_id'], ['credit_entries.id'], name=op.f('fk_credit_objections_entry_id_credit_entries')),
    sa.ForeignKeyConstraint(['raised_by_id'], ['users.id'], name=op.f('fk_credit_objections_raised_by_id_users')),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_credit_objections_village_id_villages')),
    sa.ForeignKeyConstraint(['villager_id'], ['villagers.id'], name=op.f('fk_credit_objections_villager_id_villagers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_objections')),
    sa.UniqueConstraint('entry_id')
    )
    op.create_index(op.f('ix_credit_objections_status'), 'credit_objections', ['status'], unique=False)
    op.create_index(op.f('ix_credit_objections_village_id'), 'credit_objections', ['village_id'], unique=False)
    op.create_index(op.f('ix_credit_objections_villager_id'), 'credit_objections', ['villager_id'], unique=False)
    op.create_table('credit_repairs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('villager_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('statement', sa.String(length=1000), nullable=False),
    sa.Column('evidence_text', sa.Text(), nullable=True),
    sa.Column('evidence_file_ids', sa.JSON(), nullable=False),
    sa.Column('applied_by_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decision_note', sa.String(length=500), nullable=True),
    sa.Column('repair_entry_id', sa.Integer(), nullable=True),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['applied_by_id'], ['users.id'], name=op.f('fk_credit_repairs_applied_by_id_users')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_credit_repairs_decided_by_id_users')),
    sa.ForeignKeyConstraint(['entry_id'], ['credit_entries.id'], name=op.f('fk_credit_repairs_entry_id_credit_entries')),
    sa.ForeignKeyConstraint(['repair_entry_id'], ['credit_entries.id'], name=op.f('fk_credit_repairs_repair_entry_id_credit_entries')),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_credit_repairs_village_id_villages')),
    sa.ForeignKeyConstraint(['villager_id'], ['villagers.id'], name=op.f('fk_credit_repairs_villager_id_villagers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_repairs'))
    )
    op.create_index(op.f('ix_credit_repairs_entry_id'), 'credit_repairs', ['entry_id'], unique=False)
    op.create_index(op.f('ix_credit_repairs_status'), 'credit_repairs', ['status'], unique=False)
    op.create_index(op.f('ix_credit_repairs_village_id'), 'credit_repairs', ['village_id'], unique=False)
    op.create_index(op.f('ix_credit_repairs_villager_id'), 'credit_repairs', ['villager_id'], unique=False)
    op.create_table('honour_applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('villager_id', sa.Integer(), nullable=False),
    sa.Column('rule_code', sa.String(length=16), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('evidence_text', sa.Text(), nullable=True),
    sa.Column('evidence_file_ids', sa.JSON(), nullable=False),
    sa.Column('applied_by_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decision_note', sa.String(length=500), nullable=True),
    sa.Column('entry_id', sa.Integer(), nullable=True),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['applied_by_id'], ['users.id'], name=op.f('fk_honour_applications_applied_by_id_users')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_honour_applications_decided_by_id_users')),
    sa.ForeignKeyConstraint(['entry_id'], ['credit_entries.id'], name=op.f('fk_honour_applications_entry_id_credit_entries')),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_honour_applications_village_id_villages')),
    sa.ForeignKeyConstraint(['villager_id'], ['villagers.id'], name=op.f('fk_honour_applications_villager_id_villagers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_honour_applications'))
    )
    op.create_index(op.f('ix_honour_applications_status'), 'honour_applications', ['status'], unique=False)
    op.create_index(op.f('ix_honour_applications_village_id'), 'honour_applications', ['village_id'], unique=False)
    op.create_index(op.f('ix_honour_applications_villager_id'), 'honour_applications', ['villager_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_honour_applications_villager_id'), table_name='honour_applications')
    op.drop_index(op.f('ix_honour_applications_village_id'), table_name='honour_applications')
    op.drop_index(op.f('ix_honour_applications_status'), table_name='honour_applications')
    op.drop_table('honour_applications')
    op.drop_index(op.f('ix_credit_repairs_villager_id'), table_name='credit_repairs')
    op.drop_index(op.f('ix_credit_repairs_village_id'), table_name='credit_repairs')
    op.drop_index(op.f('ix_credit_repairs_status'), table_name='credit_repairs')
    op.drop_index(op.f('ix_credit_repairs_entry_id'), table_name='credit_repairs')
    op.drop_table('credit_repairs')
    op.drop_index(op.f('ix_credit_objections_villager_id'), table_name='credit_objections')
    op.drop_index(op.f('ix_credit_objections_village_id'), table_name='credit_objections')
    op.drop_index(op.f('ix_credit_objections_status'), table_name='credit_objections')
    op.drop_table('credit_objections')
    op.drop_index(op.f('ix_credit_entries_villager_id'), table_name='credit_entries')
    op.drop_index(op.f('ix_credit_entries_village_id'), table_name='credit_entries')
    op.drop_index(op.f('ix_credit_entries_origin'), table_name='credit_entries')
    op.drop_table('credit_entries')
    op.drop_index(op.f('ix_credit_snapshots_village_id'), table_name='credit_snapshots')
    op.drop_table('credit_snapshots')
