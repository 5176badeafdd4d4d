"""In-app notifications, the WeChat subscribe-message grants they may use, and the shared access token."""

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend import clock
from backend.extensions import db
from backend.models.base import VillageOwnedMixin


class Notification(VillageOwnedMixin, db.Model):
    """Something that happened to a villager, listed in the mini-program with an unread count."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_villager_id_read_at", "villager_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    villager_id: Mapped[int] = mapped_column(ForeignKey("villagers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(String(300))
    entity_type: Mapped[str | None] = mapped_column(String(32))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    # The same event notified twice (a rerun reminder job) makes one notification.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    # The WeChat subscribe message that carries it, when the villager had granted one.
    outbox_message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)


class SubscriptionGrant(VillageOwnedMixin, db.Model):
    """One acceptance of a subscribe-message template in the mini-program: WeChat allows one message per grant."""

    __tablename__ = "subscription_grants"
    __table_args__ = (Index("ix_subscription_grants_unused", "user_id", "template_id", "used_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    template_id: Mapped[str] = mapped_column(String(64))
    granted_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)
    outbox_message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id"))


class WeChatAccessToken(db.Model):
    """The mini-program's access token, shared by every worker process until shortly before it expires."""

    __tablename__ = "wechat_access_tokens"

    app_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    access_token: Mapped[str] = mapped_column(String(600))
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
