"""partners: institutions as OAuth clients, their tokens, consents, report accesses

Revision ID: 0008_partners
Revises: 0007_city
Create Date: 2026-11-30 01:54:26.368582

"""
from alembic import op
import sqlalchemy as sa

from backend.models.append_only import append_only_statements, drop_append_only_statements


# revision identifiers, used by Alembic.
revision = '0008_partners'
down_revision = '0007_city'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('institutions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('client_id', sa.String(length=48), nullable=False),
    sa.Column('client_secret_hash', sa.String(length=64), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('rate_limit', sa.String(length=32), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('secret_rotated_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_institutions')),
    sa.UniqueConstraint('client_id', name=op.f('uq_institutions_client_id'))
    )
    op.create_table('partner_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('scope', sa.String(length=200), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_partner_tokens_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_partner_tokens_token_hash'))
    )
    with op.batch_alter_table('partner_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_tokens_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_partner_tokens_institution_id'), ['institution_id'], unique=False)

    op.create_table('consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('villager_id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('shares', sa.JSON(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('granted_by_id', sa.Integer(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['granted_by_id'], ['users.id'], name=op.f('fk_consents_granted_by_id_users')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_consents_institution_id_institutions')),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_consents_village_id_villages')),
    sa.ForeignKeyConstraint(['villager_id'], ['villagers.id'], name=op.f('fk_consents_villager_id_villagers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consents'))
    )
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consents_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consents_village_id'), ['village_id'], unique=False)
        batch_op.create_index('ix_consents_villager_id_institution_id', ['villager_id', 'institution_id'], unique=False)

    op.create_table('report_accesses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=True),
    sa.Column('consent_id', sa.Integer(), nullable=True),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('refusal', sa.String(length=32), nullable=True),
    sa.Column('shared', sa.JSON(), nullable=False),
    sa.Column('report_id', sa.String(length=36), nullable=True),
    sa.Column('rule_version', sa.Integer(), nullable=True),
    sa.Column('as_of', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['consent_id'], ['consents.id'], name=op.f('fk_report_accesses_consent_id_consents')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_report_accesses_institution_id_institutions')),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_report_accesses_village_id_villages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_accesses'))
    )
    with op.batch_alter_table('report_accesses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_accesses_consent_id'), ['consent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_accesses_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_accesses_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_accesses_village_id'), ['village_id'], unique=False)
    for statement in append_only_statements("report_accesses", op.get_bind().dialect.name):
        op.execute(statement)


def downgrade():
    for statement in drop_append_only_statements("report_accesses", op.get_bind().dialect.name):
        op.execute(statement)
    with op.batch_alter_table('report_accesses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_accesses_village_id'))
        batch_op.drop_index(batch_op.f('ix_report_accesses_institution_id'))
        batch_op.drop_index(batch_op.f('ix_report_accesses_created_at'))
        batch_op.drop_index(batch_op.f('ix_report_accesses_consent_id'))

    op.drop_table('report_accesses')
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_index('ix_consents_villager_id_institution_id')
        batch_op.drop_index(batch_op.f('ix_consents_village_id'))
        batch_op.drop_index(batch_op.f('ix_consents_institution_id'))

    op.drop_table('consents')
    with op.batch_alter_table('partner_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_tokens_institution_id'))
        batch_op.drop_index(batch_op.f('ix_partner_tokens_expires_at'))

    op.drop_table('partner_tokens')
    op.drop_table('institutions')
