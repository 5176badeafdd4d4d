"""Outbound webhooks: a town's or city's subscriptions to events of its villages, and the log of each delivery.

The messages themselves go through the transactional outbox (kind "webhook"); the outbox message id is the
`webhook-id` receivers deduplicate on, the same for every retry and every manual redelivery.
"""

from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, DateTime, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from backend import clock
from backend.extensions import db
from backend.models.base import TimestampMixin

WEBHOOK_EVENT_TYPES = ("points.awarded", "credit.level_changed", "notice.published", "redemption.completed")


class WebhookSubscription(TimestampMixin, db.Model):
    __tablename__ = "webhook_subscriptions"
    __table_args__ = (CheckConstraint("(city_id IS NULL) <> (town_id IS NULL)", name="one_owner"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int | None] = mapped_column(ForeignKey("cities.id"), index=True)
    town_id: Mapped[int | None] = mapped_column(ForeignKey("towns.id"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(String(100), default="")
    # The signing secret must be read back to sign, so it is encrypted (AES-GCM), not hashed.
    secret_cipher: Mapped[bytes] = mapped_column(LargeBinary)
    event_types: Mapped[list] = mapped_column(JSON)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class WebhookDelivery(db.Model):
    """One attempt to deliver one event to one subscription, and what the receiver answered."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscriptions.id"), index=True)
    outbox_message_id: Mapped[int] = mapped_column(ForeignKey("outbox_messages.id"), index=True)
    webhook_id: Mapped[str] = mapped_column(String(36))
    event_type: Mapped[str] = mapped_column(String(32))
    attempt: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer)
    ok: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str | None] = mapped_column(String(300))
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now, index=True)
