"""Speak and photo claims (说一说、拍一拍), the files they carry, and WeChat's verdicts on them."""

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend import clock
from backend.extensions import db
from backend.models.base import TimestampMixin, VillageOwnedMixin
from backend.models.people import Villager

SUBMISSION_TYPES = ("speak", "photo")
# held: WeChat content security found something a person must look at; reviewable like pending.
SUBMISSION_STATUSES = ("pending", "held", "awaiting_second_approval", "approved", "rejected")
OPEN_STATUSES = ("pending", "held", "awaiting_second_approval")
# not_required: WeChat not configured (or an assisted entry); checking: waiting for WeChat's callback;
# passed / review / risky: WeChat's verdict; unchecked: WeChat was unreachable, a person must look.
SECURITY_STATUSES = ("not_required", "checking", "passed", "review", "risky", "unchecked")
UPLOAD_KINDS = ("photo", "voice")


class Submission(VillageOwnedMixin, TimestampMixin, db.Model):
    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    villager_id: Mapped[int] = mapped_column(ForeignKey("villagers.id"), index=True)
    activity_type: Mapped[str] = mapped_column(String(16), index=True)
    text: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32), default="pending", index=True)
    # Who typed it in: the villager's own user, or the committee member of an assisted entry.
    entered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assisted: Mapped[bool] = mapped_column(Boolean, default=False)
    security_status: Mapped[str] = mapped_column(String(16), default="not_required")
    hold_reason: Mapped[str | None] = mapped_column(String(200))
    # A photo equal or close to one of an earlier submission in the village; flagged, not refused.
    flagged: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"))
    duplicate_distance: Mapped[int | None] = mapped_column(Integer)
    first_approver_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    first_approved_amount: Mapped[int | None] = mapped_column(Integer)
    first_approval_note: Mapped[str | None] = mapped_column(String(200))
    # What the first approval would book (after caps); the second approval books it for real.
    proposed_points: Mapped[int | None] = mapped_column(Integer)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    review_note: Mapped[str | None] = mapped_column(String(200))
    rejection_reason: Mapped[str | None] = mapped_column(String(200))
    rejected_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    appealed: Mapped[bool] = mapped_column(Boolean, default=False)
    appeal_reason: Mapped[str | None] = mapped_column(String(200))
    points_awarded: Mapped[int | None] = mapped_column(Integer)
    rule_code: Mapped[str | None] = mapped_column(String(16))
    rule_version: Mapped[int | None] = mapped_column(Integer)
    award_message: Mapped[str | None] = mapped_column(String(200))

    files: Mapped[list["Upload"]] = relationship(back_populates="submission", order_by="Upload.id")
    villager: Mapped[Villager] = relationship(viewonly=True)


class Upload(VillageOwnedMixin, db.Model):
    """One stored file: a photo (EXIF removed, re-encoded, with a thumbnail) or a voice recording."""

    __tablename__ = "uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(String(64))
    thumbnail_key: Mapped[str | None] = mapped_column(String(64))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    # sha256 of the bytes as received (exact duplicates), and the 64-bit perceptual hash (near duplicates).
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    phash: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)

    submission: Mapped[Submission | None] = relationship(back_populates="files")


class MediaCheck(VillageOwnedMixin, db.Model):
    """One asynchronous WeChat media check, matched to its callback by WeChat's trace id."""

    __tablename__ = "media_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    trace_id: Mapped[str] = mapped_column(String(64), unique=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("uploads.id"))
    suggest: Mapped[str | None] = mapped_column(String(16))
    label: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
