"""The game villagers play: badges awarded, per-villager participation (stars, streaks), points tallies, boards.

Tallies and participation rows are materialised counters, written in the transaction of each award so that boards
and the home screen read a few indexed rows instead of summing the ledger.
"""

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend import clock
from backend.extensions import db
from backend.models.base import VillageOwnedMixin

TALLY_PERIODS = ("week", "month", "year")
ALL_CATEGORIES = ""  # the tally row of a period that sums every category


class BadgeAward(VillageOwnedMixin, db.Model):
    """One tier of one badge, awarded once to one villager or household (holder_key "villager:7", "household:3")."""

    __tablename__ = "badge_awards"
    __table_args__ = (UniqueConstraint("village_id", "holder_key", "badge_code", "tier"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    holder_key: Mapped[str] = mapped_column(String(32))
    # The villager who earned it, or for a household badge the member whose account took the bonus.
    villager_id: Mapped[int] = mapped_column(ForeignKey("villagers.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    badge_code: Mapped[str] = mapped_column(String(16))
    tier: Mapped[str] = mapped_column(String(8))
    label: Mapped[str] = mapped_column(String(64))
    condition: Mapped[str] = mapped_column(String(200))
    awarded_on: Mapped[date] = mapped_column(Date)
    rule_set_id: Mapped[int | None] = mapped_column(ForeignKey("rule_sets.id"))
    rule_version: Mapped[int | None] = mapped_column(Integer)
    bonus_points: Mapped[int] = mapped_column(Integer, default=0)
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transfers.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)


class Participation(VillageOwnedMixin, db.Model):
    """A villager's lifetime points earned, stars (only ever raised) and weekly streak."""

    __tablename__ = "participation"

    id: Mapped[int] = mapped_column(primary_key=True)
    villager_id: Mapped[int] = mapped_column(ForeignKey("villagers.id"), unique=True)
    lifetime_points: Mapped[int] = mapped_column(Integer, default=0)
    stars: Mapped[int] = mapped_column(Integer, default=0)
    current_streak: Mapped[int] = mapped_column(Integer, default=0)
    best_streak: Mapped[int] = mapped_column(Integer, default=0)
    # Monday of the latest week with an activity: the streak is alive while it is this week or the last.
    last_active_week: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now, onupdate=clock.now)


class PointsTally(VillageOwnedMixin, db.Model):
    """Points a villager earned in one week, month or year, in one category ("" = all categories)."""

    __tablename__ = "points_tallies"
    __table_args__ = (
        UniqueConstraint("villager_id", "period", "period_key", "category"),
        # A leaderboard: one village's rows of one period and category, best first.
        Index("ix_points_tallies_board", "village_id", "period", "period_key", "category", "points"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    villager_id: Mapped[int] = mapped_column(ForeignKey("villagers.id"))
    period: Mapped[str] = mapped_column(String(8))
    period_key: Mapped[str] = mapped_column(String(10))
    category: Mapped[str] = mapped_column(String(32))
    points: Mapped[int] = mapped_column(Integer, default=0)
    activities: Mapped[int] = mapped_column(Integer, default=0)


class BoardMonth(VillageOwnedMixin, db.Model):
    """A village's 积分公示 of one month, frozen when the month closed; later changes show as corrections."""

    __tablename__ = "board_months"
    __table_args__ = (UniqueConstraint("village_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(Date)  # the first day of the month
    frozen_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    # [{"villager_id", "points": {category: n}, "total"}], and the month's committee approvals as then recorded.
    rows: Mapped[list] = mapped_column(JSON)
    approvals: Mapped[list] = mapped_column(JSON)
