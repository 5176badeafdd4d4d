"""The in-transaction primitives of the ledger: double-entry transfers with idempotency keys, hash chains, FIFO lots.

Functions here work inside the caller's `write_transaction()` and never commit. Each entry is appended with the
account's next sequence number and the hash of its previous head, under the account's lock (see `accounts`), so
that a chain cannot fork.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from backend import clock
from backend.errors import Conflict, InvalidInput, NotFound
from backend.models.ledger import Account, Entry, Lot, LotMovement, Transfer
from backend.services.idempotency import KeyReused
from backend.services.ledger.accounts import account_for_villager, issuing_account, lock_accounts
from backend.services.ledger.integrity import entry_hash


class InsufficientPoints(Conflict):
    status, message = "insufficient_points", "积分不足：余额 %(balance)s 分，需要 %(needed)s 分。"


class AlreadyReversed(Conflict):
    status, message = "already_reversed", "这笔积分变动已经冲正过了。"


class NotReversible(Conflict):
    status, message = "not_reversible", "冲正记录不能再次冲正。"


# --- transfers --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Booking:
    kind: str
    village_id: int
    amount: int
    reason: str
    source_type: str
    source_id: int | None
    idempotency_key: str
    actor_id: int | None
    rule_code: str | None = None
    rule_version: int | None = None
    earned_on: date | None = None
    expires_on: date | None = None
    reverses_id: int | None = None


def _existing(session: Session, village_id: int, idempotency_key: str) -> Transfer | None:
    return session.execute(
        select(Transfer).where(Transfer.village_id == village_id, Transfer.idempotency_key == idempotency_key)
    ).scalar_one_or_none()


def _replay(session: Session, booking: Booking, legs: list[tuple[Account, int]]) -> Transfer | None:
    """The transfer an earlier call with this key made, if any; refused when it moved something else."""
    found = _existing(session, booking.village_id, booking.idempotency_key)
    if found is None:
        return None
    booked = {(e.account_id, e.amount) for e in found.entries}
    if found.kind != booking.kind or found.amount != booking.amount or booked != {(a.id, n) for a, n in legs}:
        raise KeyReused()  # the one error for a key reused with something else (409)
    return found


def _post(session: Session, booking: Booking, legs: list[tuple[Account, int]]) -> Transfer:
    """Write the transfer and one hash-chained entry per leg; the accounts must already be locked."""
    assert sum(amount for _account, amount in legs) == 0, "legs of a transfer sum to zero"
    now = clock.now()
    transfer = Transfer(
        kind=booking.kind,
        village_id=booking.village_id,
        idempotency_key=booking.idempotency_key,
        amount=booking.amount,
        earned_on=booking.earned_on,
        expires_on=booking.expires_on,
        rule_code=booking.rule_code,
        rule_version=booking.rule_version,
        reason=booking.reason,
        source_type=booking.source_type,
        source_id=booking.source_id,
        actor_id=booking.actor_id,
        reverses_id=booking.reverses_id,
        created_at=now,
    )
    session.add(transfer)
    session.flush()
    # Entries and account heads go in as two plain executemany statements: every transfer pays this, and the
    # unit of work would add its bookkeeping per row for nothing (entries are never changed afterwards).
    entries, heads = [], []
    for account, amount in legs:
        entry = {
            "village_id": account.village_id,
            "account_id": account.id,
            "transfer_id": transfer.id,
            "seq": account.last_seq + 1,
            "amount": amount,
            "balance_after": account.balance + amount,
            "expires_on": booking.expires_on if amount > 0 and account.kind == "villager" else None,
            "rule_code": booking.rule_code,
            "rule_version": booking.rule_version,
            "reason": booking.reason,
            "source_type": booking.source_type,
            "source_id": booking.source_id,
            "actor_id": booking.actor_id,
            "created_at": now,
            "prev_hash": account.head_hash,
        }
        entry["hash"] = entry_hash(entry["prev_hash"], entry)
        entries.append(entry)
        heads.append({"pk": account.id, "balance": entry["balance_after"], "seq": entry["seq"], "head": entry["hash"]})
        # The loaded account takes its new state as stored: the UPDATE below stores it.
        set_committed_value(account, "balance", entry["balance_after"])
        set_committed_value(account, "last_seq", entry["seq"])
        set_committed_value(account, "head_hash", entry["hash"])
    session.execute(insert(Entry.__table__), entries)
    session.execute(_SET_HEAD, heads)
    return transfer


_accounts = Account.__table__
_SET_HEAD = (
    update(_accounts)
    .where(_accounts.c.id == bindparam("pk"))
    .values(balance=bindparam("balance"), last_seq=bindparam("seq"), head_hash=bindparam("head"))
)


def book(
    session: Session,
    booking: Booking,
    legs: list[tuple[Account, int]],
    *,
    check=None,
    new_key: bool = False,
    locked: bool = False,
) -> tuple[Transfer, bool]:
    """Lock, then replay an earlier call with the same key, or run `check` and post; True when posted now.

    `new_key`: the caller guarantees no transfer can hold the key yet (it names a row its own transaction just
    inserted), so the replay lookup and its savepoint are skipped; the unique key still guards it.
    `locked`: the caller already holds the legs' accounts locked and current (`lock_sale_accounts`).
    """
    if not locked:
        lock_accounts(session, *(account for account, _amount in legs))
    if new_key:
        if check is not None:
            check()
        return _post(session, booking, legs), True
    earlier = _replay(session, booking, legs)
    if earlier is not None:
        return earlier, False
    if check is not None:
        check()
    try:
        with session.begin_nested():
            return _post(session, booking, legs), True
    except IntegrityError:
        # Another transaction took the key for accounts we had not locked: answer as a replay would.
        earlier = _replay(session, booking, legs)
        if earlier is None:
            raise
        return earlier, False


def _require_positive(amount: int) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidInput(errors={"amount": ["积分数必须是正整数。"]})


def _need(account: Account, amount: int):
    def check():
        if account.balance < amount:
            raise InsufficientPoints(balance=account.balance, needed=amount)

    return check


# --- lots -------------------------------------------------------------------------------------------------


def _open_lot(session: Session, account: Account, transfer: Transfer, expires_on: date | None) -> None:
    session.add(
        Lot(
            village_id=account.village_id,
            account_id=account.id,
            transfer_id=transfer.id,
            amount=transfer.amount,
            remaining=transfer.amount,
            expires_on=expires_on,
            created_at=transfer.created_at,
        )
    )
    session.flush()


def locked_lots(session: Session, *conditions) -> list[Lot]:
    stmt = select(Lot).where(Lot.remaining > 0, *conditions).order_by(Lot.id).with_for_update()
    return list(session.execute(stmt.execution_options(populate_existing=True)).scalars())


_lots = Lot.__table__
_TAKE_FROM_LOT = (
    update(_lots).where(_lots.c.id == bindparam("lot")).values(remaining=_lots.c.remaining - bindparam("take"))
)


def _consume(session: Session, account: Account, transfer: Transfer, amount: int, first_lot_of: int | None = None):
    """Take `amount` from the account's lots, oldest first (the lot of transfer `first_lot_of` before all)."""
    lots = session.execute(
        select(_lots.c.id, _lots.c.transfer_id, _lots.c.remaining)
        .where(_lots.c.account_id == account.id, _lots.c.remaining > 0)
        .order_by(_lots.c.id)
        .with_for_update()
    ).all()
    lots.sort(key=lambda lot: (lot.transfer_id != first_lot_of, lot.id))
    takes: list[tuple[int, int]] = []  # (lot id, points taken from it)
    for lot in lots:
        take = min(lot.remaining, amount)
        if take == 0:
            break
        amount -= take
        takes.append((lot.id, take))
    # The balance was checked under the account's lock, and its lots always hold exactly its balance.
    if amount != 0:
        raise RuntimeError(f"lots of account {account.id} hold less than its balance")
    session.execute(_TAKE_FROM_LOT, [{"lot": lot_id, "take": take} for lot_id, take in takes])
    session.execute(
        insert(LotMovement.__table__),
        [{"lot_id": lot_id, "transfer_id": transfer.id, "amount": take} for lot_id, take in takes],
    )
    # A lot loaded earlier in this session (e.g. by a reversal's restore) must not keep its old `remaining`.
    for lot_id, _take in takes:
        loaded = session.identity_map.get(identity_key(Lot, lot_id))
        if loaded is not None:
            session.expire(loaded, ["remaining"])


def _restore(session: Session, original: Transfer, reversal: Transfer) -> None:
    """Give back to each lot what `original` took from it: the same lots, so the same expiry dates."""
    movements = session.execute(
        select(LotMovement).where(LotMovement.transfer_id == original.id).order_by(LotMovement.id)
    ).scalars()
    for movement in list(movements):
        lot = session.get(Lot, movement.lot_id, with_for_update=True, populate_existing=True)
        lot.remaining += movement.amount
        session.add(LotMovement(lot_id=lot.id, transfer_id=reversal.id, amount=-movement.amount))
    session.flush()


# --- bookings inside the caller's transaction -------------------------------------------------------------


def credit_villager(session: Session, booking: Booking, source: Account, villager: Account):
    transfer, fresh = book(session, booking, [(source, -booking.amount), (villager, booking.amount)])
    if fresh:
        _open_lot(session, villager, transfer, booking.expires_on)
    return transfer, fresh


def debit_villager(
    session: Session, booking: Booking, villager: Account, target: Account, *, new_key=False, locked=False
):
    legs = [(villager, -booking.amount), (target, booking.amount)]
    check = _need(villager, booking.amount)
    transfer, fresh = book(session, booking, legs, check=check, new_key=new_key, locked=locked)
    if fresh:
        _consume(session, villager, transfer, booking.amount)
    return transfer, fresh


def earn_points(
    session: Session,
    *,
    villager_id: int,
    village_id: int,
    amount: int,
    expires_on: date | None,
    rule_code: str,
    rule_version: int | None,
    reason: str,
    source_type: str,
    source_id: int | None,
    idempotency_key: str,
    actor_id: int | None = None,
    earned_on: date | None = None,
) -> Transfer:
    """Points from the village's issuing account to the villager, as a lot spendable through `expires_on`.

    `earned_on` (default: today) is the day cap periods count the points under. The same key returns the
    first transfer; the same key for a different booking is refused (409).
    """
    _require_positive(amount)
    booking = Booking(
        kind="earn",
        village_id=village_id,
        amount=amount,
        reason=reason,
        source_type=source_type,
        source_id=source_id,
        idempotency_key=idempotency_key,
        actor_id=actor_id,
        rule_code=rule_code,
        rule_version=rule_version,
        earned_on=earned_on or clock.today(),
        expires_on=expires_on,
    )
    source = issuing_account(session, village_id)
    villager = account_for_villager(session, villager_id=villager_id, village_id=village_id)
    return credit_villager(session, booking, source, villager)[0]


def spend_points(
    session: Session,
    *,
    villager_id: int,
    village_id: int,
    to_account: Account,
    amount: int,
    reason: str,
    source_type: str,
    source_id: int | None,
    idempotency_key: str,
    actor_id: int | None = None,
    from_account: Account | None = None,
    new_key: bool = False,
    locked: bool = False,
) -> Transfer:
    """Points from the villager to `to_account` (e.g. a shop's), oldest lots first; 409 when too few.

    `from_account`: the villager's account if the caller already holds it (its balance is current after the
    call). `new_key`: the key names a row the caller's transaction just created, so no earlier transfer can
    hold it (no replay lookup). `locked`: both accounts come from `lock_sale_accounts` in this transaction.
    """
    _require_positive(amount)
    booking = Booking(
        kind="spend",
        village_id=village_id,
        amount=amount,
        reason=reason,
        source_type=source_type,
        source_id=source_id,
        idempotency_key=idempotency_key,
        actor_id=actor_id,
        earned_on=clock.today(),
    )
    villager = from_account or account_for_villager(session, villager_id=villager_id, village_id=village_id)
    return debit_villager(session, booking, villager, to_account, new_key=new_key, locked=locked)[0]


def reverse_transfer(
    session: Session, *, transfer_id: int, reason: str, idempotency_key: str, actor_id: int | None = None
) -> Transfer:
    """Undo every leg of a transfer once; a spend's lots come back, an earn's points must still be there."""
    original = session.get(Transfer, transfer_id)
    if original is None:
        raise NotFound()
    if original.kind == "reversal":
        raise NotReversible()
    ids = [entry.account_id for entry in original.entries]
    accounts = {a.id: a for a in session.execute(select(Account).where(Account.id.in_(ids))).scalars()}
    legs = [(accounts[entry.account_id], -entry.amount) for entry in original.entries]
    booking = Booking(
        kind="reversal",
        village_id=original.village_id,
        amount=original.amount,
        reason=reason,
        source_type=original.source_type,
        source_id=original.source_id,
        idempotency_key=idempotency_key,
        actor_id=actor_id,
        rule_code=original.rule_code,
        rule_version=original.rule_version,
        earned_on=original.earned_on,
        reverses_id=original.id,
    )
    debited = [(account, -amount) for account, amount in legs if amount < 0 and account.kind == "villager"]

    def check():
        if session.execute(select(Transfer.id).where(Transfer.reverses_id == original.id)).first() is not None:
            raise AlreadyReversed()
        for account, needed in debited:
            _need(account, needed)()

    transfer, fresh = book(session, booking, legs, check=check)
    if fresh:
        _restore(session, original, transfer)
        for account, needed in debited:
            _consume(session, account, transfer, needed, first_lot_of=original.id)
    return transfer


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
