"""Rule templates: a town's or a city's versioned rule set that villages adopt as their own draft.

A template belongs to a city or to a town (exactly one); its versions are drafted, published with passing golden
tests, and superseded like a village's rule sets. A village records what it decided about each new version.
"""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend import clock
from backend.extensions import db
from backend.models.base import TimestampMixin, VillageOwnedMixin

TEMPLATE_DECISIONS = ("adopted", "declined")


class RuleTemplate(TimestampMixin, db.Model):
    __tablename__ = "rule_templates"
    __table_args__ = (CheckConstraint("(city_id IS NULL) <> (town_id IS NULL)", name="one_owner"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int | None] = mapped_column(ForeignKey("cities.id"), index=True)
    town_id: Mapped[int | None] = mapped_column(ForeignKey("towns.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    versions: Mapped[list["RuleTemplateVersion"]] = relationship(
        back_populates="template", order_by="RuleTemplateVersion.version", viewonly=True
    )


class RuleTemplateVersion(TimestampMixin, db.Model):
    """One version of a template: the rule set document and the ranges villages may move amounts within."""

    __tablename__ = "rule_template_versions"
    __table_args__ = (UniqueConstraint("template_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("rule_templates.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    document: Mapped[dict] = mapped_column(JSON)
    # {rule code: {"min": int, "max": int}}: the amounts a village may choose for that rule.
    allowed: Mapped[dict] = mapped_column(JSON, default=dict)
    notes: Mapped[str | None] = mapped_column(String(500))
    drafted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None] = mapped_column(DateTime)

    template: Mapped[RuleTemplate] = relationship(back_populates="versions", viewonly=True)


class TemplateDecision(VillageOwnedMixin, db.Model):
    """A village's answer to a template version: adopted (as a draft of its own) or declined for now."""

    __tablename__ = "template_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    template_version_id: Mapped[int] = mapped_column(ForeignKey("rule_template_versions.id"), index=True)
    decision: Mapped[str] = mapped_column(String(16))
    rule_set_id: Mapped[int | None] = mapped_column(ForeignKey("rule_sets.id"))
    note: Mapped[str | None] = mapped_column(String(200))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
