"""speak and photo: submissions, uploads, WeChat media checks

Revision ID: 0003b
Revises: 0003
Create Date: 2026-11-24 10:12:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003b'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('villager_id', sa.Integer(), nullable=False),
    sa.Column('activity_type', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=False),
    sa.Column('assisted', sa.Boolean(), nullable=False),
    sa.Column('security_status', sa.String(length=16), nullable=False),
    sa.Column('hold_reason', sa.String(length=200), nullable=True),
    sa.Column('flagged', sa.Boolean(), nullable=False),
    sa.Column('duplicate_of_id', sa.Integer(), nullable=True),
    sa.Column('duplicate_distance', sa.Integer(), nullable=True),
    sa.Column('first_approver_id', sa.Integer(), nullable=True),
    sa.Column('first_approved_amount', sa.Integer(), nullable=True),
    sa.Column('first_approval_note', sa.String(length=200), nullable=True),
    sa.Column('proposed_points', sa.Integer(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('review_note', sa.String(length=200), nullable=True),
    sa.Column('rejection_reason', sa.String(length=200), nullable=True),
    sa.Column('rejected_by_id', sa.Integer(), nullable=True),
    sa.Column('appealed', sa.Boolean(), nullable=False),
    sa.Column('appeal_reason', sa.String(length=200), nullable=True),
    sa.Column('points_awarded', sa.Integer(), nullable=True),
    sa.Column('rule_code', sa.String(length=16), nullable=True),
    sa.Column('rule_version', sa.Integer(), nullable=True),
    sa.Column('award_message', sa.String(length=200), nullable=True),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_submissions_decided_by_id_users')),
    sa.ForeignKeyConstraint(['duplicate_of_id'], ['submissions.id'], name=op.f('fk_submissions_duplicate_of_id_submissions')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['users.id'], name=op.f('fk_submissions_entered_by_id_users')),
    sa.ForeignKeyConstraint(['first_approver_id'], ['users.id'], name=op.f('fk_submissions_first_approver_id_users')),
    sa.ForeignKeyConstraint(['rejected_by_id'], ['users.id'], name=op.f('fk_submissions_rejected_by_id_users')),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_submissions_village_id_villages')),
    sa.ForeignKeyConstraint(['villager_id'], ['villagers.id'], name=op.f('fk_submissions_villager_id_villagers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submissions'))
    )
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submissions_activity_type'), ['activity_type'], unique=False)
        batch_op.create_index(batch_op.f('ix_submissions_flagged'), ['flagged'], unique=False)
        batch_op.create_index(batch_op.f('ix_submissions_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_submissions_village_id'), ['village_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_submissions_villager_id'), ['villager_id'], unique=False)

    op.create_table('uploads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('storage_key', sa.String(length=64), nullable=False),
    sa.Column('thumbnail_key', sa.String(length=64), nullable=True),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('phash', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_uploads_owner_id_users')),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_uploads_submission_id_submissions')),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_uploads_village_id_villages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_uploads'))
    )
    with op.batch_alter_table('uploads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_uploads_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_uploads_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_uploads_submission_id'), ['submission_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_uploads_village_id'), ['village_id'], unique=False)

    op.create_table('media_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trace_id', sa.String(length=64), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('upload_id', sa.Integer(), nullable=False),
    sa.Column('suggest', sa.String(length=16), nullable=True),
    sa.Column('label', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_media_checks_submission_id_submissions')),
    sa.ForeignKeyConstraint(['upload_id'], ['uploads.id'], name=op.f('fk_media_checks_upload_id_uploads')),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_media_checks_village_id_villages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media_checks')),
    sa.UniqueConstraint('trace_id', name=op.f('uq_media_checks_trace_id'))
    )
    with op.batch_alter_table('media_checks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_media_checks_submission_id'), ['submission_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_media_checks_village_id'), ['village_id'], unique=False)


def downgrade():
    with op.batch_alter_table('media_checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_media_checks_village_id'))
        batch_op.drop_index(batch_op.f('ix_media_checks_submission_id'))

    op.drop_table('media_checks')
    with op.batch_alter_table('uploads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_uploads_village_id'))
        batch_op.drop_index(batch_op.f('ix_uploads_submission_id'))
        batch_op.drop_index(batch_op.f('ix_uploads_sha256'))
        batch_op.drop_index(batch_op.f('ix_uploads_owner_id'))

    op.drop_table('uploads')
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submissions_villager_id'))
        batch_op.drop_index(batch_op.f('ix_submissions_village_id'))
        batch_op.drop_index(batch_op.f('ix_submissions_status'))
        batch_op.drop_index(batch_op.f('ix_submissions_flagged'))
        batch_op.drop_index(batch_op.f('ix_submissions_activity_type'))

    op.drop_table('submissions')
