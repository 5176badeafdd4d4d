"""Real threads against the real database (SQLite and PostgreSQL): locks keep every invariant."""

import itertools
from datetime import date

import pytest
from sqlalchemy import func, select

from backend.database import write_transaction
from backend.extensions import db
from backend.models import Account, Entry, Transfer
from backend.services import ledger
from tests.factories import make_village, make_villager
from tests.factories.ledger import balance, check_invariants, earn
from tests.factories.threads import run_threads

# Slow: demo loads, thread races and long property runs; `make test-fast` leaves them out.
pytestmark = pytest.mark.slow


def test_twenty_threads_earning_and_expiring_on_the_same_accounts_keep_every_invariant(app):
    village = make_village()
    people = [make_villager(village, name=f"村民{i}") for i in range(3)]
    for person in people:
        earn(person, 10, expires_on=date(2026, 1, 31))  # due for expiry
    targets = [(p.id, p.village_id) for p in people]

    def work(index):
        if index % 4 == 3:
            ledger.expire_points(as_of=date(2026, 6, 1))
            return
        for round_ in range(3):
            villager_id, village_id = targets[(index + round_) % len(targets)]
            with write_transaction() as session:
                ledger.earn_points(
                    session,
                    villager_id=villager_id,
                    village_id=village_id,
                    amount=2,
                    expires_on=date(2026, 1, 31) if round_ == 0 else None,
                    rule_code="HJZZ",
                    rule_version=1,
                    reason="审核通过：环境整治",
                    source_type="submission",
                    source_id=index,
                    idempotency_key=f"approve-{index}-{round_}",
                )

    assert run_threads(app, 20, work) == []
    db.session.rollback()
    earned = db.session.execute(select(func.count(Transfer.id)).where(Transfer.kind == "earn")).scalar_one()
    assert earned == 3 + 15 * 3
    ledger.expire_points(as_of=date(2026, 6, 1))  # whatever the racing runs left due
    # Each of the 15 earning threads booked 2 points due to expire and 4 that never expire.
    assert sum(balance(p) for p in people) == 15 * 4
    check_invariants()
    report = ledger.verify_ledger()
    assert report.ok, report.lines()


def test_sixteen_concurrent_writers_to_one_account_leave_one_chain(app):
    villager = make_villager(make_village())
    account_id = None

    def work(index):
        earn(villager, index + 1)

    assert run_threads(app, 16, work) == []
    db.session.rollback()
    account_id = db.session.execute(select(Account.id).where(Account.villager_id == villager.id)).scalar_one()
    chain = db.session.execute(select(Entry).where(Entry.account_id == account_id).order_by(Entry.seq)).scalars().all()
    assert [entry.seq for entry in chain] == list(range(1, 17))
    assert all(entry.prev_hash == before.hash for before, entry in itertools.pairwise(chain))
    assert chain[-1].balance_after == sum(range(1, 17)) == balance(villager)
    report = ledger.verify_ledger()
    assert report.ok, report.lines()


def test_the_same_key_from_many_threads_books_once(app):
    villager = make_villager(make_village())
    transfer_ids = []

    def work(_index):
        transfer_ids.append(earn(villager, 5, idempotency_key="approve-submission-42").id)

    assert run_threads(app, 12, work) == []
    assert len(set(transfer_ids)) == 1
    assert balance(villager) == 5
    check_invariants()


def test_concurrent_spends_never_overdraw(app):
    village = make_village()
    villager = make_villager(village)
    earn(villager, 50)
    refused = []

    def work(index):
        with write_transaction() as session:
            shop = ledger.account_for_shop(session, shop_id=1, village_id=village.id)
            try:
                ledger.spend_points(
                    session,
                    villager_id=villager.id,
                    village_id=village.id,
                    to_account=shop,
                    amount=7,
                    reason="积分超市兑换",
                    source_type="redemption",
                    source_id=index,
                    idempotency_key=f"sale-{index}",
                )
            except ledger.InsufficientPoints:
                refused.append(index)

    assert run_threads(app, 10, work) == []
    assert len(refused) == 3  # 7 sales of 7 fit into 50
    assert balance(villager) == 1
    check_invariants()
