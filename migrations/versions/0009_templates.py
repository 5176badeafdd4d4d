"""rule templates of towns and cities, their versions, villages' decisions

Revision ID: 0009_templates
Revises: 0008_partners
Create Date: 2026-11-30 02:00:48.640626

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_templates'
down_revision = '0008_partners'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rule_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=True),
    sa.Column('town_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('(city_id IS NULL) <> (town_id IS NULL)', name=op.f('ck_rule_templates_one_owner')),
    sa.ForeignKeyConstraint(['city_id'], ['cities.id'], name=op.f('fk_rule_templates_city_id_cities')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_rule_templates_created_by_id_users')),
    sa.ForeignKeyConstraint(['town_id'], ['towns.id'], name=op.f('fk_rule_templates_town_id_towns')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rule_templates')),
    sa.UniqueConstraint('code', name=op.f('uq_rule_templates_code'))
    )
    with op.batch_alter_table('rule_templates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rule_templates_city_id'), ['city_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rule_templates_town_id'), ['town_id'], unique=False)

    op.create_table('rule_template_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('allowed', sa.JSON(), nullable=False),
    sa.Column('notes', sa.String(length=500), nullable=True),
    sa.Column('drafted_by_id', sa.Integer(), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['drafted_by_id'], ['users.id'], name=op.f('fk_rule_template_versions_drafted_by_id_users')),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_rule_template_versions_published_by_id_users')),
    sa.ForeignKeyConstraint(['template_id'], ['rule_templates.id'], name=op.f('fk_rule_template_versions_template_id_rule_templates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rule_template_versions')),
    sa.UniqueConstraint('template_id', 'version', name=op.f('uq_rule_template_versions_template_id_version'))
    )
    with op.batch_alter_table('rule_template_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rule_template_versions_template_id'), ['template_id'], unique=False)

    op.create_table('template_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('template_version_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('rule_set_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_template_decisions_decided_by_id_users')),
    sa.ForeignKeyConstraint(['rule_set_id'], ['rule_sets.id'], name=op.f('fk_template_decisions_rule_set_id_rule_sets')),
    sa.ForeignKeyConstraint(['template_version_id'], ['rule_template_versions.id'], name=op.f('fk_template_decisions_template_version_id_rule_template_versions')),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_template_decisions_village_id_villages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_template_decisions'))
    )
    with op.batch_alter_table('template_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_template_decisions_template_version_id'), ['template_version_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_template_decisions_village_id'), ['village_id'], unique=False)

    with op.batch_alter_table('rule_sets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('template_version_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('overrides', sa.JSON(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_rule_sets_template_version_id_rule_template_versions'), 'rule_template_versions', ['template_version_id'], ['id'])



def downgrade():
    with op.batch_alter_table('rule_sets', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_rule_sets_template_version_id_rule_template_versions'), type_='foreignkey')
        batch_op.drop_column('overrides')
        batch_op.drop_column('template_version_id')

    with op.batch_alter_table('template_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_template_decisions_village_id'))
        batch_op.drop_index(batch_op.f('ix_template_decisions_template_version_id'))

    op.drop_table('template_decisions')
    with op.batch_alter_table('rule_template_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rule_template_versions_template_id'))

    op.drop_table('rule_template_versions')
    with op.batch_alter_table('rule_templates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rule_templates_town_id'))
        batch_op.drop_index(batch_op.f('ix_rule_templates_city_id'))

    op.drop_table('rule_templates')
