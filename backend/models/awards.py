"""The points each activity was awarded (possibly 0 when capped), once per idempotency key."""

from datetime import date

from sqlalchemy import Boolean, Date, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db
from backend.models.base import TimestampMixin, VillageOwnedMixin


class PointAward(VillageOwnedMixin, TimestampMixin, db.Model):
    """The points one activity earned (possibly 0 when capped), once per idempotency key."""

    __tablename__ = "point_awards"
    __table_args__ = (UniqueConstraint("village_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    villager_id: Mapped[int] = mapped_column(ForeignKey("villagers.id"), index=True)
    activity_type: Mapped[str] = mapped_column(String(16))
    source_type: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[int] = mapped_column(Integer)
    idempotency_key: Mapped[str] = mapped_column(String(128))
    earned_on: Mapped[date] = mapped_column(Date)
    rule_set_id: Mapped[int | None] = mapped_column(ForeignKey("rule_sets.id"))
    rule_code: Mapped[str | None] = mapped_column(String(16))
    # The rule's category (民主评议, 环境美化, ...) and the event's hours, as badges and boards count them.
    category: Mapped[str | None] = mapped_column(String(32))
    hours: Mapped[float | None] = mapped_column(Float)
    rule_version: Mapped[int | None] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(Integer)
    capped: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_on: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200))
    explanation: Mapped[str | None] = mapped_column(String(200))
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transfers.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
