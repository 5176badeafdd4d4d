"""The governance platform (基层治理四平台): each village's mapping of its event types, and the events received.

An event is kept once per `event_id` (the platform's `webhook-id`), so a redelivery gets the first answer again.
"""

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db
from backend.models.base import TimestampMixin, VillageOwnedMixin

# awarded: booked at once (possibly 0 points, with the reason); pending_review: the rule wants a person to
# decide the amount; approved / rejected: that person's decision.
INBOUND_STATUSES = ("awarded", "pending_review", "approved", "rejected")


class EventMapping(VillageOwnedMixin, TimestampMixin, db.Model):
    """How one platform event type counts in this village: as which activity, with which facts."""

    __tablename__ = "event_mappings"
    __table_args__ = (UniqueConstraint("village_id", "event_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_type: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(64), default="")
    activity_type: Mapped[str] = mapped_column(String(16))
    # Facts every such event has ({"event.kind": "volunteer"}), and facts read from its data ({"event.hours": "hours"}).
    facts: Mapped[dict] = mapped_column(JSON, default=dict)
    fact_fields: Mapped[dict] = mapped_column(JSON, default=dict)


class InboundEvent(VillageOwnedMixin, TimestampMixin, db.Model):
    """One event the platform posted, and what became of it."""

    __tablename__ = "inbound_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(128), unique=True)
    # sha256 of the body: the same id with another body is a different event, refused.
    fingerprint: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(64))
    villager_id: Mapped[int] = mapped_column(ForeignKey("villagers.id"), index=True)
    occurred_on: Mapped[date] = mapped_column(Date)
    # The event's `data` only; the person's ID number is used to find them and never kept.
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    activity_type: Mapped[str] = mapped_column(String(16))
    facts: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), index=True)
    rule_code: Mapped[str | None] = mapped_column(String(16))
    points: Mapped[int | None] = mapped_column(Integer)
    explanation: Mapped[str | None] = mapped_column(String(200))
    award_id: Mapped[int | None] = mapped_column(ForeignKey("point_awards.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    rejection_reason: Mapped[str | None] = mapped_column(String(200))
