"""the audit log's hash chain: seals beside the log

Revision ID: 0013_audit_chain
Revises: 0012_graded_protection
Create Date: 2026-11-30 02:33:57.671725

"""
from alembic import op
import sqlalchemy as sa

from backend.models.append_only import append_only_statements, drop_append_only_statements


# revision identifiers, used by Alembic.
revision = '0013_audit_chain'
down_revision = '0012_graded_protection'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_seals',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('sealed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['audit_log.id'], name=op.f('fk_audit_seals_entry_id_audit_log')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_seals')),
    sa.UniqueConstraint('entry_id', name=op.f('uq_audit_seals_entry_id'))
    )
    for statement in append_only_statements("audit_seals", op.get_bind().dialect.name):
        op.execute(statement)


def downgrade():
    for statement in drop_append_only_statements("audit_seals", op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_table('audit_seals')
