"""Ledger accounts (villagers', shops', each village's issuing and expiry accounts) and their row locks.

Writers lock the accounts they touch in ascending id order (SELECT ... FOR UPDATE on PostgreSQL; on SQLite the
transaction's BEGIN IMMEDIATE already holds the database's write lock). Everything here works inside the
caller's `write_transaction()` and never commits.
"""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.models.ledger import Account


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
    lock_accounts(session, villager, shop)
    return villager, shop


def lock_accounts(session: Session, *accounts: Account) -> None:
    """Lock the accounts in ascending id order and reload their balances and heads under the lock."""
    ids = sorted({account.id for account in accounts})
    session.execute(
        select(Account)
        .where(Account.id.in_(ids))
        .order_by(Account.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalars().all()
