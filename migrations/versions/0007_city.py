"""city level: cities above towns, city admins

Revision ID: 0007_city
Revises: 0006
Create Date: 2026-11-30 01:48:09.767019

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_city'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('cities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cities')),
    sa.UniqueConstraint('code', name=op.f('uq_cities_code'))
    )
    with op.batch_alter_table('towns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('city_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_towns_city_id'), ['city_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_towns_city_id_cities'), 'cities', ['city_id'], ['id'])

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('city_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_users_city_id'), ['city_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_users_city_id_cities'), 'cities', ['city_id'], ['id'])



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_city_id_cities'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_users_city_id'))
        batch_op.drop_column('city_id')

    with op.batch_alter_table('towns', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_towns_city_id_cities'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_towns_city_id'))
        batch_op.drop_column('city_id')

    op.drop_table('cities')
