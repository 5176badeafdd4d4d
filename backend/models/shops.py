"""Partner shops (积分超市), their rewards, pay codes, redemptions, orders and budgets."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend import clock
from backend.extensions import db
from backend.models.base import TimestampMixin, VillageOwnedMixin

SHOP_STATUSES = ("active", "suspended", "closed")


class Shop(TimestampMixin, db.Model):
    """A partner shop of one village, or of a whole town when `village_id` is empty."""

    __tablename__ = "shops"

    id: Mapped[int] = mapped_column(primary_key=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("towns.id"), index=True)
    # The shard key where there is one; a town-wide shop serves every village of its town.
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(200))
    opening_hours: Mapped[str | None] = mapped_column(String(100))
    contact: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="active")

    items: Mapped[list["RewardItem"]] = relationship(back_populates="shop", order_by="RewardItem.id")


class RewardItem(TimestampMixin, db.Model):
    __tablename__ = "reward_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    picture: Mapped[str | None] = mapped_column(String(500))
    price_points: Mapped[int] = mapped_column(Integer)
    # None: unlimited.
    stock: Mapped[int | None] = mapped_column(Integer)
    monthly_limit: Mapped[int | None] = mapped_column(Integer)
    active_from: Mapped[datetime | None] = mapped_column(DateTime)
    active_until: Mapped[datetime | None] = mapped_column(DateTime)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    shop: Mapped[Shop] = relationship(back_populates="items")


class ShopFunding(db.Model):
    """What a village pays its shops: yuan per point (in 1/10000 yuan) and a monthly budget in points."""

    __tablename__ = "shop_funding"

    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), primary_key=True)
    yuan_per_point_e4: Mapped[int] = mapped_column(Integer, default=1000)
    # None: no budget cap.
    monthly_budget_points: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now, onupdate=clock.now)


class BudgetUsage(db.Model):
    """Points a village's shops redeemed in one month; one hot counter row, updated with a guarded UPDATE."""

    __tablename__ = "shop_budget_usage"

    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    points: Mapped[int] = mapped_column(Integer, default=0)


class PayCode(VillageOwnedMixin, db.Model):
    """A one-time pay code; only its sha256 is stored."""

    __tablename__ = "pay_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    villager_id: Mapped[int] = mapped_column(ForeignKey("villagers.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class Redemption(VillageOwnedMixin, db.Model):
    """A sale at a shop: points spent by one villager (village_id is the villager's village)."""

    __tablename__ = "redemptions"
    __table_args__ = (
        Index("ix_redemptions_shop_month", "shop_id", "month"),
        Index("ix_redemptions_villager_month", "villager_id", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_no: Mapped[str] = mapped_column(String(24), unique=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    villager_id: Mapped[int] = mapped_column(ForeignKey("villagers.id"))
    pay_code_id: Mapped[int | None] = mapped_column(ForeignKey("pay_codes.id"), unique=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("shop_orders.id"), unique=True)
    shopkeeper_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    points: Mapped[int] = mapped_column(Integer)
    balance_after: Mapped[int] = mapped_column(Integer)
    transfer_id: Mapped[int | None] = mapped_column(Integer)
    # The village month (YYYY-MM) the sale counts in, for budgets and settlements.
    month: Mapped[str] = mapped_column(String(7))
    status: Mapped[str] = mapped_column(String(16), default="completed")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now, index=True)
    voided_at: Mapped[datetime | None] = mapped_column(DateTime)
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    void_transfer_id: Mapped[int | None] = mapped_column(Integer)

    lines: Mapped[list["RedemptionLine"]] = relationship(order_by="RedemptionLine.id")
    shop: Mapped[Shop] = relationship()


class RedemptionLine(VillageOwnedMixin, db.Model):
    __tablename__ = "redemption_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    redemption_id: Mapped[int] = mapped_column(ForeignKey("redemptions.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("reward_items.id"), index=True)
    item_name: Mapped[str] = mapped_column(String(100))
    unit_points: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer)


class ShopOrder(VillageOwnedMixin, db.Model):
    """The reverse flow: a villager scanned the shop's QR code and picked items; the shopkeeper decides."""

    __tablename__ = "shop_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    villager_id: Mapped[int] = mapped_column(ForeignKey("villagers.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    items: Mapped[list] = mapped_column(JSON)
    points: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reject_reason: Mapped[str | None] = mapped_column(String(200))


class ShopSettlement(db.Model):
    """A closed month of one shop with one village: the figures as they were when the committee closed it."""

    __tablename__ = "shop_settlements"
    __table_args__ = (UniqueConstraint("shop_id", "village_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), index=True)
    month: Mapped[str] = mapped_column(String(7))
    redemptions: Mapped[int] = mapped_column(Integer)
    voids: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer)
    yuan_per_point_e4: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(Integer)
    closed_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
