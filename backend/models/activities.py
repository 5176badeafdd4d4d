"""Tap and scan activities: polls (民主评议), lessons (在线学习) and events with check-in (扫码签到)."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend import clock
from backend.extensions import db
from backend.models.base import TimestampMixin, VillageOwnedMixin

POLL_MODES = ("adult", "household")
AWARD_AT = ("check_in", "confirmation")


class Poll(VillageOwnedMixin, TimestampMixin, db.Model):
    __tablename__ = "polls"

    id: Mapped[int] = mapped_column(primary_key=True)
    question: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    # "adult": every villager aged 18 or more votes; "household": one vote per household.
    mode: Mapped[str] = mapped_column(String(16))
    opens_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    closes_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    # Share of eligible voters (or households) that must vote for the result to count.
    quorum_percent: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    options: Mapped[list["PollOption"]] = relationship(order_by="PollOption.position")


class PollOption(VillageOwnedMixin, db.Model):
    __tablename__ = "poll_options"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(100))


class PollVote(VillageOwnedMixin, db.Model):
    """One ballot; `ballot_key` is the voter ("v<id>") or their household ("h<id>"), unique per poll."""

    __tablename__ = "poll_votes"
    __table_args__ = (UniqueConstraint("poll_id", "ballot_key"), UniqueConstraint("poll_id", "villager_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id"), index=True)
    option_id: Mapped[int] = mapped_column(ForeignKey("poll_options.id"))
    villager_id: Mapped[int] = mapped_column(ForeignKey("villagers.id"), index=True)
    ballot_key: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)


class Lesson(VillageOwnedMixin, TimestampMixin, db.Model):
    """Content and a quiz; `questions` holds the correct answers and never leaves the server for villagers."""

    __tablename__ = "lessons"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    # [{"text": str, "options": [str, ...], "answer": <index of the correct option>}, ...]
    questions: Mapped[list] = mapped_column(JSON)
    pass_mark: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class LessonAttempt(VillageOwnedMixin, db.Model):
    """One quiz attempt; at most one passing attempt per villager and lesson."""

    __tablename__ = "lesson_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id"), index=True)
    villager_id: Mapped[int] = mapped_column(ForeignKey("villagers.id"), index=True)
    answers: Mapped[list] = mapped_column(JSON)
    correct: Mapped[int] = mapped_column(Integer)
    passed: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)


class Event(VillageOwnedMixin, TimestampMixin, db.Model):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    # Free text that rules test as `event.kind`, e.g. 志愿服务, 平安巡逻, 环境整治, 村民大会.
    kind: Mapped[str] = mapped_column(String(32))
    place: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(DateTime)
    hours: Mapped[float] = mapped_column(Float)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    radius_m: Mapped[int | None] = mapped_column(Integer)
    capacity: Mapped[int | None] = mapped_column(Integer)
    award_at: Mapped[str] = mapped_column(String(16))
    # Key of the rotating check-in code; never sent to villagers.
    qr_secret: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class EventCheckIn(VillageOwnedMixin, db.Model):
    __tablename__ = "event_check_ins"
    __table_args__ = (UniqueConstraint("event_id", "villager_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    villager_id: Mapped[int] = mapped_column(ForeignKey("villagers.id"), index=True)
    checked_in_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
