"""Rule sets as versioned data (points and credit)."""

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db
from backend.models.base import TimestampMixin, VillageOwnedMixin

RULE_SET_KINDS = ("points", "credit")
RULE_SET_STATUSES = ("draft", "published", "superseded")


class RuleSet(VillageOwnedMixin, TimestampMixin, db.Model):
    """One version of a village's rule set: a draft, the published one, or one it superseded.

    Published and superseded versions are never changed; a rollback publishes a copy.
    """

    __tablename__ = "rule_sets"
    __table_args__ = (UniqueConstraint("village_id", "kind", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    effective_from: Mapped[date | None] = mapped_column(Date)
    # The first day a later version took over; None while this one is the latest published.
    superseded_on: Mapped[date | None] = mapped_column(Date)
    document: Mapped[dict] = mapped_column(JSON)
    copied_from_id: Mapped[int | None] = mapped_column(ForeignKey("rule_sets.id"))
    # Adopted from a town's or city's template: which version, and the village's own amounts and extra rules.
    template_version_id: Mapped[int | None] = mapped_column(ForeignKey("rule_template_versions.id"))
    overrides: Mapped[dict | None] = mapped_column(JSON)
    drafted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None] = mapped_column(DateTime)
