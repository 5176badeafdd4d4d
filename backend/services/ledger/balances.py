"""Reading the ledger: balances, what was earned under a rule, what expires soon, a villager's history."""

from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from backend import clock
from backend.extensions import db
from backend.models import Village, Villager
from backend.models.ledger import Account, Entry, Lot, Transfer
from backend.services.access import STAFF_ROLES, Caller, require_role
from backend.services.paging import paginate

EXPIRING_SOON_DAYS = 30


def points_earned_between(session: Session, *, villager_id: int, rule_code: str, start: date, end: date) -> int:
    """Points a villager earned under `rule_code` for days `start`..`end` (inclusive), net of reversals."""
    total = session.execute(
        select(func.coalesce(func.sum(Entry.amount), 0))
        .join(Transfer, Entry.transfer_id == Transfer.id)
        .join(Account, Entry.account_id == Account.id)
        .where(
            Account.villager_id == villager_id,
            Transfer.kind.in_(("earn", "reversal")),
            Transfer.rule_code == rule_code,
            Transfer.earned_on >= start,
            Transfer.earned_on <= end,
        )
    ).scalar_one()
    return int(total)


def villager_balance(session: Session, villager_id: int) -> int:
    """The villager's spendable points (0 before their first booking)."""
    balance = session.execute(select(Account.balance).where(Account.villager_id == villager_id)).scalar_one_or_none()
    return balance or 0


def list_expiring_points(*, caller: Caller, village: Village, days: int) -> list[dict]:
    """Who loses how many points within `days` days (unless they spend them), soonest first."""
    require_role(caller, *STAFF_ROLES)
    until = clock.today() + timedelta(days=days)
    first = func.min(Lot.expires_on)
    rows = db.session.execute(
        select(Villager.id, Villager.name, func.sum(Lot.remaining), first)
        .join(Account, Lot.account_id == Account.id)
        .join(Villager, Account.villager_id == Villager.id)
        .where(Lot.village_id == village.id, Lot.remaining > 0, Lot.expires_on < until)
        .group_by(Villager.id, Villager.name)
        .order_by(first, Villager.id)
    ).all()
    return [
        {"villager_id": vid, "name": name, "amount": int(amount), "first_expires_on": first_day}
        for vid, name, amount, first_day in rows
    ]


def points_summary(*, villager_id: int, days: int = EXPIRING_SOON_DAYS) -> dict:
    """Balance and the points that expire within `days` days, grouped by their last day."""
    until = clock.today() + timedelta(days=days)
    rows = db.session.execute(
        select(Lot.expires_on, func.sum(Lot.remaining))
        .join(Account, Lot.account_id == Account.id)
        .where(Account.villager_id == villager_id, Lot.remaining > 0, Lot.expires_on < until)
        .group_by(Lot.expires_on)
        .order_by(Lot.expires_on)
    ).all()
    return {
        "balance": villager_balance(db.session, villager_id),
        "expiring_soon": [{"amount": int(amount), "expires_on": day} for day, amount in rows],
    }


def list_my_ledger(*, caller: Caller, limit: int, cursor: str | None) -> dict:
    """The signed-in villager's entries, newest first, each with its running balance."""
    require_role(caller, "villager")
    account_id = None
    if caller.villager_id is not None:
        account_id = db.session.execute(
            select(Account.id).where(Account.villager_id == caller.villager_id)
        ).scalar_one_or_none()
    if account_id is None:
        return {"items": [], "next_cursor": None}
    stmt = select(Entry).where(Entry.account_id == account_id).options(joinedload(Entry.transfer))
    return paginate(stmt, Entry.id, limit=limit, cursor=cursor)
