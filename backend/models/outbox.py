"""The transactional outbox: side effects that leave the process, written in the same commit as their cause."""

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend import clock
from backend.extensions import db

OUTBOX_STATUSES = ("pending", "delivered", "dead")


class OutboxMessage(db.Model):
    """One message to deliver at least once; `message_id` stays the same across retries (receivers dedupe on it)."""

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(36), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict] = mapped_column(JSON)
    # Nullable: a few messages concern no village (platform-wide); staff see only their villages' messages.
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"), index=True)
    # Unique when set: the same cause enqueued twice (a retried request, a rerun job) makes one message.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # When a worker may (re)try it: now for new messages, the backoff after a failure, the lease end while claimed.
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)
