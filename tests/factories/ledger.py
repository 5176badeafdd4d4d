"""Bookings for the ledger tests, each in its own write transaction as a real caller would make them."""

import uuid
from datetime import date

from sqlalchemy import func, select

from backend.database import write_transaction
from backend.extensions import db
from backend.models import Account, Lot, LotMovement, Villager
from backend.services import ledger


def key() -> str:
    return uuid.uuid4().hex


def earn(
    villager: Villager,
    amount: int,
    *,
    expires_on: date | None = None,
    idempotency_key: str | None = None,
    rule_code: str = "HJZZ",
    earned_on: date | None = None,
    reason: str = "参加环境整治",
):
    with write_transaction() as session:
        return ledger.earn_points(
            session,
            villager_id=villager.id,
            village_id=villager.village_id,
            amount=amount,
            expires_on=expires_on,
            rule_code=rule_code,
            rule_version=1,
            reason=reason,
            source_type="submission",
            source_id=7,
            idempotency_key=idempotency_key or key(),
            earned_on=earned_on,
        )


def spend(villager: Villager, amount: int, *, shop_id: int = 1, idempotency_key: str | None = None):
    with write_transaction() as session:
        shop = ledger.account_for_shop(session, shop_id=shop_id, village_id=villager.village_id)
        return ledger.spend_points(
            session,
            villager_id=villager.id,
            village_id=villager.village_id,
            to_account=shop,
            amount=amount,
            reason="积分超市兑换",
            source_type="redemption",
            source_id=3,
            idempotency_key=idempotency_key or key(),
        )


def reverse(transfer_id: int, *, idempotency_key: str | None = None):
    with write_transaction() as session:
        return ledger.reverse_transfer(
            session, transfer_id=transfer_id, reason="冲正：录入有误", idempotency_key=idempotency_key or key()
        )


def balance(villager: Villager) -> int:
    db.session.rollback()
    return ledger.villager_balance(db.session, villager.id)


def check_invariants() -> None:
    """Every leg sums to zero, balances equal their entries and their lots, no villager below zero."""
    db.session.rollback()
    totals = ledger.ledger_totals()
    assert totals["legs"] == 0
    assert totals["mismatched"] == []
    assert totals["negative_villagers"] == []
    lots = dict(db.session.execute(select(Lot.account_id, func.sum(Lot.remaining)).group_by(Lot.account_id)).all())
    for account in db.session.execute(select(Account).where(Account.kind == "villager")).scalars():
        assert lots.get(account.id, 0) == account.balance, f"lots of account {account.id} differ from its balance"
    moved = dict(
        db.session.execute(select(LotMovement.lot_id, func.sum(LotMovement.amount)).group_by(LotMovement.lot_id)).all()
    )
    for lot in db.session.execute(select(Lot)).scalars():
        assert lot.remaining == lot.amount - moved.get(lot.id, 0)
