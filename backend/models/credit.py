"""The credit score (村信用分): registered credit entries, objections, honour and repair applications, snapshots.

A credit entry is one event the pure evaluator scores (`backend.rules.CreditEvent`): a village-rule violation,
an approved honour, a repair that reverses an earlier entry, or a dishonesty-list entry. Entries are never
deleted; a decision changes an entry's status (counted, frozen while objected to, revoked when upheld).
"""

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend import clock
from backend.extensions import db
from backend.models.base import TimestampMixin, VillageOwnedMixin
from backend.models.people import Villager

ENTRY_KINDS = ("rule", "repair", "dishonesty")
ENTRY_ORIGINS = ("violation", "honour", "repair", "village_list", "court_list")
ENTRY_STATUSES = ("counted", "frozen", "revoked")
OBJECTION_STATUSES = ("open", "upheld", "dismissed")
APPLICATION_STATUSES = ("applied", "approved", "rejected")


class CreditEntry(VillageOwnedMixin, TimestampMixin, db.Model):
    """One registered credit event, with the rule code and version it is scored under."""

    __tablename__ = "credit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    villager_id: Mapped[int] = mapped_column(ForeignKey("villagers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    origin: Mapped[str] = mapped_column(String(16), index=True)
    rule_code: Mapped[str | None] = mapped_column(String(16))
    # The version in force on `occurred_on`: the one the evaluator scores the entry under.
    rule_version: Mapped[int | None] = mapped_column(Integer)
    occurred_on: Mapped[date] = mapped_column(Date)
    # End of the public-notice (公示) window: the first day the entry counts.
    counts_from: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    quantity: Mapped[float] = mapped_column(Float, default=1)
    amount: Mapped[int | None] = mapped_column(Integer)
    facts: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="counted")
    target_id: Mapped[int | None] = mapped_column(ForeignKey("credit_entries.id"))
    list_kind: Mapped[str | None] = mapped_column(String(16))
    source: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(String(200))
    evidence_text: Mapped[str | None] = mapped_column(Text)
    evidence_file_ids: Mapped[list] = mapped_column(JSON, default=list)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    villager: Mapped[Villager] = relationship(viewonly=True)


class CreditObjection(VillageOwnedMixin, TimestampMixin, db.Model):
    """A villager's objection (异议) to an entry in its notice window; one per entry."""

    __tablename__ = "credit_objections"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("credit_entries.id"), unique=True)
    villager_id: Mapped[int] = mapped_column(ForeignKey("villagers.id"), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    raised_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_note: Mapped[str | None] = mapped_column(String(500))


class HonourApplication(VillageOwnedMixin, TimestampMixin, db.Model):
    """An honour application (荣誉申报); approval registers a credit entry that counts after its notice."""

    __tablename__ = "honour_applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    villager_id: Mapped[int] = mapped_column(ForeignKey("villagers.id"), index=True)
    rule_code: Mapped[str] = mapped_column(String(16))
    occurred_on: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(String(500))
    facts: Mapped[dict] = mapped_column(JSON, default=dict)
    evidence_text: Mapped[str | None] = mapped_column(Text)
    evidence_file_ids: Mapped[list] = mapped_column(JSON, default=list)
    applied_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default="applied", index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_note: Mapped[str | None] = mapped_column(String(500))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("credit_entries.id"))


class CreditRepair(VillageOwnedMixin, TimestampMixin, db.Model):
    """A credit-repair (信用修复) request against one entry; approval adds a reversing repair entry."""

    __tablename__ = "credit_repairs"

    id: Mapped[int] = mapped_column(primary_key=True)
    villager_id: Mapped[int] = mapped_column(ForeignKey("villagers.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("credit_entries.id"), index=True)
    statement: Mapped[str] = mapped_column(String(1000))
    evidence_text: Mapped[str | None] = mapped_column(Text)
    evidence_file_ids: Mapped[list] = mapped_column(JSON, default=list)
    applied_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default="applied", index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_note: Mapped[str | None] = mapped_column(String(500))
    repair_entry_id: Mapped[int | None] = mapped_column(ForeignKey("credit_entries.id"))


class CreditSnapshot(VillageOwnedMixin, db.Model):
    """A villager's score and level for one month, under the rule version then in force."""

    __tablename__ = "credit_snapshots"
    __table_args__ = (UniqueConstraint("villager_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    villager_id: Mapped[int] = mapped_column(ForeignKey("villagers.id"))
    month: Mapped[date] = mapped_column(Date)  # the first day of the month
    as_of: Mapped[date] = mapped_column(Date)
    score: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(8))
    rule_version: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)


class CreditState(VillageOwnedMixin, db.Model):
    """A villager's current credit (score, level, gates) as the evaluator gave it, and until when it holds.

    Kept so that the redemption gate and the profile read one row instead of re-scoring the history: refreshed in
    the transaction that changes an entry, a villager's facts or a village's rules (services.credit.state), and
    recomputed on the first read on or after `valid_until`.
    """

    __tablename__ = "credit_states"

    villager_id: Mapped[int] = mapped_column(ForeignKey("villagers.id"), primary_key=True)
    score: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(8))
    rule_version: Mapped[int] = mapped_column(Integer)
    # The label of a gate in force that blocks redemption, if any: the gate's whole answer in one column.
    blocked_by: Mapped[str | None] = mapped_column(String(100))
    gates: Mapped[list] = mapped_column(JSON, default=list)
    as_of: Mapped[date] = mapped_column(Date)
    # The first day the evaluation may differ; NULL when only a change of its inputs can change it.
    valid_until: Mapped[date | None] = mapped_column(Date)
    # The inputs besides the entries it was computed from: the number of the village's credit versions in force
    # (a publish adds one) and a digest of the villager's facts the rules may test (name, group, head, birth).
    rules_key: Mapped[int] = mapped_column(Integer)
    facts_key: Mapped[str] = mapped_column(String(40))
    # Bumped by every write, so that a reader's refresh never overwrites a newer one (compare-and-set).
    revision: Mapped[int] = mapped_column(Integer, default=1)
    computed_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
