"""Ledger use cases that own their transaction: manual adjustments and the expiry of old points."""

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from backend import clock
from backend.database import write_transaction
from backend.errors import InvalidInput
from backend.extensions import db
from backend.models import Villager
from backend.models.ledger import Account, Lot, LotMovement, Transfer
from backend.services.access import STAFF_ROLES, Caller, require_role
from backend.services.audit import record_audit
from backend.services.idempotency import Claim, claimed_transaction
from backend.services.ledger.accounts import account_for_villager, expiry_account, issuing_account, lock_accounts
from backend.services.ledger.postings import Booking, book, credit_villager, debit_villager, locked_lots

EXPIRY_REASON = "积分到期清零"


def adjust_points(
    *,
    caller: Caller,
    villager: Villager,
    amount: int,
    reason: str,
    expires_on: date | None = None,
    claim: Claim | None = None,
) -> Transfer:
    """A committee's manual correction (+ or -) with a reason, audited; under `claim`, a retry replays it."""
    require_role(caller, *STAFF_ROLES)
    if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
        raise InvalidInput(errors={"amount": ["调整的积分数不能为 0。"]})
    if not reason.strip():
        raise InvalidInput(errors={"reason": ["请填写调整原因。"]})
    booking = Booking(
        kind="adjust",
        village_id=villager.village_id,
        amount=abs(amount),
        reason=reason.strip(),
        source_type="adjustment",
        source_id=None,
        # Each adjustment is a transfer of its own: retries are answered by the request's claim, not here.
        idempotency_key=f"adjust:{uuid.uuid4().hex}",
        actor_id=caller.user_id or None,
        earned_on=clock.today(),
        expires_on=expires_on if amount > 0 else None,
    )
    with claimed_transaction(claim) as session:
        issuing = issuing_account(session, villager.village_id)
        account = account_for_villager(session, villager_id=villager.id, village_id=villager.village_id)
        if amount > 0:
            transfer, fresh = credit_villager(session, booking, issuing, account)
        else:
            transfer, fresh = debit_villager(session, booking, account, issuing)
        if fresh:
            after = {"villager_id": villager.id, "amount": amount, "reason": booking.reason, "balance": account.balance}
            record_audit(session, actor=caller, action="points.adjust", entity=transfer, after=after)
    return transfer


@dataclass(frozen=True)
class ExpiryReport:
    as_of: date
    accounts: int
    points: int
    transfers: list[int]


def expire_points(*, as_of: date, village_id: int | None = None) -> ExpiryReport:
    """Move every lot whose last day is before `as_of` to its village's expiry account; a rerun finds nothing.

    One short transaction per villager account, so that the job never holds many accounts at once.
    """
    due = select(Lot.account_id).where(Lot.remaining > 0, Lot.expires_on < as_of).distinct()
    if village_id is not None:
        due = due.where(Lot.village_id == village_id)
    account_ids = sorted(db.session.execute(due).scalars())
    points, transfers = 0, []
    for account_id in account_ids:
        with write_transaction() as session:
            account = session.get(Account, account_id)
            target = expiry_account(session, account.village_id)
            lock_accounts(session, account, target)
            lots = locked_lots(session, Lot.account_id == account.id, Lot.expires_on < as_of)
            total = sum(lot.remaining for lot in lots)
            if total == 0:
                continue  # a concurrent run got here first
            booking = Booking(
                kind="expire",
                village_id=account.village_id,
                amount=total,
                reason=EXPIRY_REASON,
                source_type="expiry",
                source_id=None,
                # Unique per account state: the locked account's next sequence number.
                idempotency_key=f"expire:{account.id}:{account.last_seq + 1}",
                actor_id=None,
                earned_on=as_of,
            )
            transfer, _fresh = book(session, booking, [(account, -total), (target, total)])
            for lot in lots:
                session.add(LotMovement(lot_id=lot.id, transfer_id=transfer.id, amount=lot.remaining))
                lot.remaining = 0
            points += total
            transfers.append(transfer.id)
    return ExpiryReport(as_of=as_of, accounts=len(transfers), points=points, transfers=transfers)
