"""The points ledger: accounts, transfers and their entries (legs), FIFO lots, and Merkle checkpoints.

Transfers, entries, lot movements and checkpoints are append-only; an account row keeps the running state
(balance, last sequence number, head hash) that its entries prove. See DESIGN.md "The points ledger".
"""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend import clock
from backend.extensions import db
from backend.models.append_only import make_append_only
from backend.models.base import VillageOwnedMixin

ACCOUNT_KINDS = ("villager", "shop", "issuing", "expiry")
TRANSFER_KINDS = ("earn", "spend", "adjust", "expire", "reversal")
GENESIS_HASH = "0" * 64


class Account(VillageOwnedMixin, db.Model):
    """One ledger account: a villager's, a shop's (per village), or a village's issuing or expiry account."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (
        # The issuing account goes negative by design (it is where points come from); a villager never does.
        CheckConstraint("kind <> 'villager' OR balance >= 0", name="villager_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    # "villager:<id>", "shop:<id>:village:<id>", "village:<id>:issuing", "village:<id>:expiry": one account each.
    owner_key: Mapped[str] = mapped_column(String(64), unique=True)
    villager_id: Mapped[int | None] = mapped_column(ForeignKey("villagers.id"), unique=True)
    # No foreign key: shops arrive in a later migration (0004), and an account outlives a closed shop.
    shop_id: Mapped[int | None] = mapped_column(Integer, index=True)
    balance: Mapped[int] = mapped_column(Integer, default=0)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    head_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)


class Transfer(VillageOwnedMixin, db.Model):
    """One movement of points between accounts; its entries (legs) sum to zero."""

    __tablename__ = "ledger_transfers"
    __table_args__ = (UniqueConstraint("village_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    amount: Mapped[int] = mapped_column(Integer)
    # The day the points were earned for (cap periods count by it) and, for earned points, their last day.
    earned_on: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    rule_code: Mapped[str | None] = mapped_column(String(32))
    rule_version: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200))
    source_type: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[int | None] = mapped_column(Integer)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Unique: a transfer can be reversed once, even by two reversals racing.
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transfers.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now, index=True)

    entries: Mapped[list["Entry"]] = relationship(order_by="Entry.id", viewonly=True)


class Entry(VillageOwnedMixin, db.Model):
    """One leg of a transfer on one account, chained to the account's previous entry by its hash."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("account_id", "seq"),
        Index("ix_ledger_entries_account_id_id", "account_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    transfer_id: Mapped[int] = mapped_column(ForeignKey("ledger_transfers.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(Integer)
    balance_after: Mapped[int] = mapped_column(Integer)
    expires_on: Mapped[date | None] = mapped_column(Date)
    rule_code: Mapped[str | None] = mapped_column(String(32))
    rule_version: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200))
    source_type: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[int | None] = mapped_column(Integer)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    transfer: Mapped[Transfer] = relationship(viewonly=True)
    account: Mapped[Account] = relationship(viewonly=True)


class Lot(VillageOwnedMixin, db.Model):
    """Points that arrived on a villager account together and expire together; spent oldest first."""

    __tablename__ = "ledger_lots"
    __table_args__ = (CheckConstraint("remaining >= 0 AND remaining <= amount", name="remaining_in_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("ledger_transfers.id"), unique=True)
    amount: Mapped[int] = mapped_column(Integer)
    remaining: Mapped[int] = mapped_column(Integer)
    # Last day on which these points may be spent; None: they never expire.
    expires_on: Mapped[date | None] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)


class LotMovement(db.Model):
    """What a transfer took from a lot (positive) or gave back to it (negative); lot.remaining is their rest."""

    __tablename__ = "ledger_lot_movements"

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("ledger_lots.id"), index=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("ledger_transfers.id"), index=True)
    amount: Mapped[int] = mapped_column(Integer)


class Checkpoint(db.Model):
    """A Merkle root (RFC 6962) over every account's head at one moment; its heads are kept alongside."""

    __tablename__ = "ledger_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    root_hash: Mapped[str] = mapped_column(String(64))
    account_count: Mapped[int] = mapped_column(Integer)
    entry_count: Mapped[int] = mapped_column(Integer)


class CheckpointHead(db.Model):
    __tablename__ = "ledger_checkpoint_heads"
    __table_args__ = (UniqueConstraint("checkpoint_id", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("ledger_checkpoints.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    seq: Mapped[int] = mapped_column(Integer)
    head_hash: Mapped[str] = mapped_column(String(64))


APPEND_ONLY_TABLES = (Transfer, Entry, LotMovement, Checkpoint, CheckpointHead)
for _model in APPEND_ONLY_TABLES:
    make_append_only(_model.__table__)
