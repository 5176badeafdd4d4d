"""The points ledger: double-entry transfers with idempotency keys, row locks, hash chains and FIFO lots.

Functions that take `session` work inside the caller's `write_transaction()` and never commit. Writers lock
the accounts they touch in ascending id order (SELECT ... FOR UPDATE on PostgreSQL; on SQLite the
transaction's BEGIN IMMEDIATE already holds the database's write lock), then append each entry with the next
sequence number and the hash of the account's previous head, so that a chain cannot fork.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from backend import clock
from backend.access import Caller, require_role
from backend.database import write_transaction
from backend.errors import Conflict, InvalidInput, NotFound
from backend.extensions import db
from backend.models import Village, Villager
from backend.models.ledger import Account, Entry, Lot, LotMovement, Transfer
from backend.services.audit import record_audit
from backend.services.ledger_integrity import create_checkpoint, entry_hash, ledger_totals, verify_ledger
from backend.services.paging import paginate

__all__ = [
    "ExpiryReport",
    "IdempotencyKeyReused",
    "InsufficientPoints",
    "account_for_shop",
    "account_for_villager",
    "adjust_points",
    "create_checkpoint",
    "earn_points",
    "expire_points",
    "ledger_totals",
    "list_expiring_points",
    "list_my_ledger",
    "lock_sale_accounts",
    "points_earned_between",
    "points_summary",
    "reverse_transfer",
    "spend_points",
    "verify_ledger",
    "villager_balance",
]

EXPIRY_REASON = "积分到期清零"
EXPIRING_SOON_DAYS = 30


class InsufficientPoints(Conflict):
    status, message = "insufficient_points", "积分不足：余额 %(balance)s 分，需要 %(needed)s 分。"


class IdempotencyKeyReused(Conflict):
    status, message = "idempotency_key_reused", "该 Idempotency-Key 已用于另一笔积分变动，请换一个新的。"


class AlreadyReversed(Conflict):
    status, message = "already_reversed", "这笔积分变动已经冲正过了。"


class NotReversible(Conflict):
    status, message = "not_reversible", "冲正记录不能再次冲正。"


# --- accounts and locks -----------------------------------------------------------------------------------


def _get_or_create(session: Session, owner_key: str, **values) -> Account:
    account = session.execute(select(Account).where(Account.owner_key == owner_key)).scalar_one_or_none()
    if account is not None:
        return account
    try:
        # A savepoint: when another transaction creates the same account first, only this insert is undone.
        with session.begin_nested():
            account = Account(owner_key=owner_key, balance=0, last_seq=0, **values)
            session.add(account)
    except IntegrityError:
        account = session.execute(select(Account).where(Account.owner_key == owner_key)).scalar_one()
    return account


def account_for_villager(session: Session, *, villager_id: int, village_id: int) -> Account:
    """The villager's points account, created on first use."""
    return _get_or_create(
        session, f"villager:{villager_id}", kind="villager", villager_id=villager_id, village_id=village_id
    )


def account_for_shop(session: Session, *, shop_id: int, village_id: int) -> Account:
    """A shop's account for the points of one village's villagers, created on first use."""
    return _get_or_create(
        session, f"shop:{shop_id}:village:{village_id}", kind="shop", shop_id=shop_id, village_id=village_id
    )


def issuing_account(session: Session, village_id: int) -> Account:
    """Where a village's points come from; its balance is minus everything the village has issued."""
    return _get_or_create(session, f"village:{village_id}:issuing", kind="issuing", village_id=village_id)


def expiry_account(session: Session, village_id: int) -> Account:
    """Where a village's expired points go."""
    return _get_or_create(session, f"village:{village_id}:expiry", kind="expiry", village_id=village_id)


def lock_sale_accounts(session: Session, *, villager_id: int, village_id: int, shop_id: int) -> tuple[Account, Account]:
    """The villager's and the shop's accounts, locked in ascending id order and current: one query once both exist."""
    villager_key, shop_key = f"villager:{villager_id}", f"shop:{shop_id}:village:{village_id}"
    # PostgreSQL locks the rows as the sort hands them over, so ORDER BY id keeps the one lock order.
    found = {
        account.owner_key: account
        for account in session.execute(
            select(Account)
            .where(Account.owner_key.in_([villager_key, shop_key]))
            .order_by(Account.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalars()
    }
    if villager_key in found and shop_key in found:
        return found[villager_key], found[shop_key]
    villager = account_for_villager(session, villager_id=villager_id, village_id=village_id)
    shop = account_for_shop(session, shop_id=shop_id, village_id=village_id)
    _lock(session, villager, shop)
    return villager, shop


def _lock(session: Session, *accounts: Account) -> None:
    """Lock the accounts in ascending id order and reload their balances and heads under the lock."""
    ids = sorted({account.id for account in accounts})
    session.execute(
        select(Account)
        .where(Account.id.in_(ids))
        .order_by(Account.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalars().all()


# --- transfers --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Booking:
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


def _replay(session: Session, booking: _Booking, legs: list[tuple[Account, int]]) -> Transfer | None:
    """The transfer an earlier call with this key made, if any; refused when it moved something else."""
    found = _existing(session, booking.village_id, booking.idempotency_key)
    if found is None:
        return None
    booked = {(e.account_id, e.amount) for e in found.entries}
    if found.kind != booking.kind or found.amount != booking.amount or booked != {(a.id, n) for a, n in legs}:
        raise IdempotencyKeyReused()
    return found


def _post(session: Session, booking: _Booking, legs: list[tuple[Account, int]]) -> Transfer:
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


def _book(
    session: Session,
    booking: _Booking,
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
        _lock(session, *(account for account, _amount in legs))
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


def _locked_lots(session: Session, *conditions) -> list[Lot]:
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


def _credit_villager(session: Session, booking: _Booking, source: Account, villager: Account):
    transfer, fresh = _book(session, booking, [(source, -booking.amount), (villager, booking.amount)])
    if fresh:
        _open_lot(session, villager, transfer, booking.expires_on)
    return transfer, fresh


def _debit_villager(
    session: Session, booking: _Booking, villager: Account, target: Account, *, new_key=False, locked=False
):
    legs = [(villager, -booking.amount), (target, booking.amount)]
    check = _need(villager, booking.amount)
    transfer, fresh = _book(session, booking, legs, check=check, new_key=new_key, locked=locked)
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
    booking = _Booking(
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
    return _credit_villager(session, booking, source, villager)[0]


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
    booking = _Booking(
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
    return _debit_villager(session, booking, villager, to_account, new_key=new_key, locked=locked)[0]


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
    booking = _Booking(
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

    transfer, fresh = _book(session, booking, legs, check=check)
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


# --- services that own their transaction ------------------------------------------------------------------


def adjust_points(
    *,
    caller: Caller,
    villager: Villager,
    amount: int,
    reason: str,
    idempotency_key: str,
    expires_on: date | None = None,
) -> Transfer:
    """A committee's manual correction (+ or -) with a reason, audited; the same key replays the transfer."""
    require_role(caller, "committee", "town_admin", "admin")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
        raise InvalidInput(errors={"amount": ["调整的积分数不能为 0。"]})
    if not reason.strip():
        raise InvalidInput(errors={"reason": ["请填写调整原因。"]})
    booking = _Booking(
        kind="adjust",
        village_id=villager.village_id,
        amount=abs(amount),
        reason=reason.strip(),
        source_type="adjustment",
        source_id=None,
        # Keys belong to the staff member who sent them, as HTTP idempotency keys do.
        idempotency_key=f"adjust:user:{caller.user_id}:{idempotency_key}",
        actor_id=caller.user_id or None,
        earned_on=clock.today(),
        expires_on=expires_on if amount > 0 else None,
    )
    with write_transaction() as session:
        issuing = issuing_account(session, villager.village_id)
        account = account_for_villager(session, villager_id=villager.id, village_id=villager.village_id)
        if amount > 0:
            transfer, fresh = _credit_villager(session, booking, issuing, account)
        else:
            transfer, fresh = _debit_villager(session, booking, account, issuing)
        if fresh:
            after = {"villager_id": villager.id, "amount": amount, "reason": booking.reason, "balance": account.balance}
            record_audit(actor=caller, action="points.adjust", entity=transfer, after=after)
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
            _lock(session, account, target)
            lots = _locked_lots(session, Lot.account_id == account.id, Lot.expires_on < as_of)
            total = sum(lot.remaining for lot in lots)
            if total == 0:
                continue  # a concurrent run got here first
            booking = _Booking(
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
            transfer, _fresh = _book(session, booking, [(account, -total), (target, total)])
            for lot in lots:
                session.add(LotMovement(lot_id=lot.id, transfer_id=transfer.id, amount=lot.remaining))
                lot.remaining = 0
            points += total
            transfers.append(transfer.id)
    return ExpiryReport(as_of=as_of, accounts=len(transfers), points=points, transfers=transfers)


def list_expiring_points(*, caller: Caller, village: Village, days: int) -> list[dict]:
    """Who loses how many points within `days` days (unless they spend them), soonest first."""
    require_role(caller, "committee", "town_admin", "admin")
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
