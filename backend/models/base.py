"""Column helpers shared by the models."""

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from backend import clock


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now, onupdate=clock.now, nullable=False)


class VillageOwnedMixin:
    """Every tenant-owned row names its village, the future shard key."""

    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), index=True, nullable=False)
