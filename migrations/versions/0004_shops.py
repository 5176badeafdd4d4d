"""shops, reward items, pay codes, redemptions, orders, funding, settlements, idempotency keys

Revision ID: 0004
Revises: 0003b
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('shop_budget_usage',
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_shop_budget_usage_village_id_villages')),
    sa.PrimaryKeyConstraint('village_id', 'month', name=op.f('pk_shop_budget_usage'))
    )
    op.create_table('shop_funding',
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('yuan_per_point_e4', sa.Integer(), nullable=False),
    sa.Column('monthly_budget_points', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_shop_funding_village_id_villages')),
    sa.PrimaryKeyConstraint('village_id', name=op.f('pk_shop_funding'))
    )
    op.create_table('shops',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('town_id', sa.Integer(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=True),
    sa.Column('opening_hours', sa.String(length=100), nullable=True),
    sa.Column('contact', sa.String(length=100), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['town_id'], ['towns.id'], name=op.f('fk_shops_town_id_towns')),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_shops_village_id_villages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shops'))
    )
    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shops_town_id'), ['town_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shops_village_id'), ['village_id'], unique=False)

    op.create_table('reward_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('picture', sa.String(length=500), nullable=True),
    sa.Column('price_points', sa.Integer(), nullable=False),
    sa.Column('stock', sa.Integer(), nullable=True),
    sa.Column('monthly_limit', sa.Integer(), nullable=True),
    sa.Column('active_from', sa.DateTime(), nullable=True),
    sa.Column('active_until', sa.DateTime(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_reward_items_shop_id_shops')),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_reward_items_village_id_villages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reward_items'))
    )
    with op.batch_alter_table('reward_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reward_items_shop_id'), ['shop_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reward_items_village_id'), ['village_id'], unique=False)

    op.create_table('idempotency_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('response_status', sa.Integer(), nullable=True),
    sa.Column('response_body', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_idempotency_keys_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_keys')),
    sa.UniqueConstraint('user_id', 'key', name=op.f('uq_idempotency_keys_user_id_key'))
    )
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idempotency_keys_created_at'), ['created_at'], unique=False)

    op.create_table('pay_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('villager_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_pay_codes_user_id_users')),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_pay_codes_village_id_villages')),
    sa.ForeignKeyConstraint(['villager_id'], ['villagers.id'], name=op.f('fk_pay_codes_villager_id_villagers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pay_codes')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_pay_codes_token_hash'))
    )
    with op.batch_alter_table('pay_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pay_codes_village_id'), ['village_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pay_codes_villager_id'), ['villager_id'], unique=False)

    op.create_table('shop_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('villager_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('reject_reason', sa.String(length=200), nullable=True),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_shop_orders_decided_by_id_users')),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_shop_orders_shop_id_shops')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_shop_orders_user_id_users')),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_shop_orders_village_id_villages')),
    sa.ForeignKeyConstraint(['villager_id'], ['villagers.id'], name=op.f('fk_shop_orders_villager_id_villagers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shop_orders'))
    )
    with op.batch_alter_table('shop_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shop_orders_shop_id'), ['shop_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shop_orders_village_id'), ['village_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shop_orders_villager_id'), ['villager_id'], unique=False)

    op.create_table('shop_settlements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('redemptions', sa.Integer(), nullable=False),
    sa.Column('voids', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('yuan_per_point_e4', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=False),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_shop_settlements_closed_by_id_users')),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_shop_settlements_shop_id_shops')),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_shop_settlements_village_id_villages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shop_settlements')),
    sa.UniqueConstraint('shop_id', 'village_id', 'month', name=op.f('uq_shop_settlements_shop_id_village_id_month'))
    )
    with op.batch_alter_table('shop_settlements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shop_settlements_shop_id'), ['shop_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shop_settlements_village_id'), ['village_id'], unique=False)

    op.create_table('redemptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt_no', sa.String(length=24), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('villager_id', sa.Integer(), nullable=False),
    sa.Column('pay_code_id', sa.Integer(), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('shopkeeper_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('balance_after', sa.Integer(), nullable=False),
    sa.Column('transfer_id', sa.Integer(), nullable=True),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('voided_at', sa.DateTime(), nullable=True),
    sa.Column('voided_by_id', sa.Integer(), nullable=True),
    sa.Column('void_transfer_id', sa.Integer(), nullable=True),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['shop_orders.id'], name=op.f('fk_redemptions_order_id_shop_orders')),
    sa.ForeignKeyConstraint(['pay_code_id'], ['pay_codes.id'], name=op.f('fk_redemptions_pay_code_id_pay_codes')),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_redemptions_shop_id_shops')),
    sa.ForeignKeyConstraint(['shopkeeper_id'], ['users.id'], name=op.f('fk_redemptions_shopkeeper_id_users')),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_redemptions_village_id_villages')),
    sa.ForeignKeyConstraint(['villager_id'], ['villagers.id'], name=op.f('fk_redemptions_villager_id_villagers')),
    sa.ForeignKeyConstraint(['voided_by_id'], ['users.id'], name=op.f('fk_redemptions_voided_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_redemptions')),
    sa.UniqueConstraint('order_id', name=op.f('uq_redemptions_order_id')),
    sa.UniqueConstraint('pay_code_id', name=op.f('uq_redemptions_pay_code_id')),
    sa.UniqueConstraint('receipt_no', name=op.f('uq_redemptions_receipt_no'))
    )
    with op.batch_alter_table('redemptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_redemptions_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_redemptions_shop_month', ['shop_id', 'month'], unique=False)
        batch_op.create_index(batch_op.f('ix_redemptions_village_id'), ['village_id'], unique=False)
        batch_op.create_index('ix_redemptions_villager_month', ['villager_id', 'month'], unique=False)

    op.create_table('redemption_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('redemption_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('item_name', sa.String(length=100), nullable=False),
    sa.Column('unit_points', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['reward_items.id'], name=op.f('fk_redemption_lines_item_id_reward_items')),
    sa.ForeignKeyConstraint(['redemption_id'], ['redemptions.id'], name=op.f('fk_redemption_lines_redemption_id_redemptions')),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_redemption_lines_village_id_villages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_redemption_lines'))
    )
    with op.batch_alter_table('redemption_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_redemption_lines_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_redemption_lines_redemption_id'), ['redemption_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_redemption_lines_village_id'), ['village_id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_users_shop_id_shops'), 'shops', ['shop_id'], ['id'])



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_shop_id_shops'), type_='foreignkey')

    with op.batch_alter_table('redemption_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_redemption_lines_village_id'))
        batch_op.drop_index(batch_op.f('ix_redemption_lines_redemption_id'))
        batch_op.drop_index(batch_op.f('ix_redemption_lines_item_id'))

    op.drop_table('redemption_lines')
    with op.batch_alter_table('redemptions', schema=None) as batch_op:
        batch_op.drop_index('ix_redemptions_villager_month')
        batch_op.drop_index(batch_op.f('ix_redemptions_village_id'))
        batch_op.drop_index('ix_redemptions_shop_month')
        batch_op.drop_index(batch_op.f('ix_redemptions_created_at'))

    op.drop_table('redemptions')
    with op.batch_alter_table('shop_settlements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shop_settlements_village_id'))
        batch_op.drop_index(batch_op.f('ix_shop_settlements_shop_id'))

    op.drop_table('shop_settlements')
    with op.batch_alter_table('shop_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shop_orders_villager_id'))
        batch_op.drop_index(batch_op.f('ix_shop_orders_village_id'))
        batch_op.drop_index(batch_op.f('ix_shop_orders_shop_id'))

    op.drop_table('shop_orders')
    with op.batch_alter_table('pay_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pay_codes_villager_id'))
        batch_op.drop_index(batch_op.f('ix_pay_codes_village_id'))

    op.drop_table('pay_codes')
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotency_keys_created_at'))

    op.drop_table('idempotency_keys')
    with op.batch_alter_table('reward_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reward_items_village_id'))
        batch_op.drop_index(batch_op.f('ix_reward_items_shop_id'))

    op.drop_table('reward_items')
    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shops_village_id'))
        batch_op.drop_index(batch_op.f('ix_shops_town_id'))

    op.drop_table('shops')
    op.drop_table('shop_funding')
    op.drop_table('shop_budget_usage')
